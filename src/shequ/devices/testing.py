"""A throwaway Mosquitto broker for the tests and the benchmark: its own port, config and persistence folder, so it
can be stopped and started again (a broker restart mid-stream) without touching the machine's broker."""

from __future__ import annotations

import getpass
import shutil
import socket
import subprocess
import time
from pathlib import Path

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"

CONFIG = """\
listener {port} 127.0.0.1
allow_anonymous true
# Run as whoever started it: started as root, mosquitto would drop to its own user, which cannot write the
# persistence file under a test's private temporary folder (a restart would then lose every session).
user {user}
persistence true
persistence_location {folder}/
autosave_interval 1
# Keep everything for an absent persistent session (the default drops past 1,000), and send the listener any
# number of unacknowledged messages (the default, 20, would cap its batches at 20: it acknowledges after commit).
max_queued_messages 0
max_inflight_messages 0
log_dest file {folder}/mosquitto.log
"""


def available() -> bool:
    return Path(MOSQUITTO).exists()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mosquitto:
    def __init__(self, folder: Path, port: int | None = None) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        # Started as root, mosquitto drops to its own user: it must still write its persistence file here.
        self.folder.chmod(0o777)
        self.port = port or free_port()
        self.config = self.folder / "mosquitto.conf"
        self.config.write_text(CONFIG.format(port=self.port, folder=self.folder, user=getpass.getuser()))
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> Mosquitto:
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(self.config)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"mosquitto exited: {self.folder / 'mosquitto.log'}") from None
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start within 10 s")

    def stop(self) -> None:
        """SIGTERM: mosquitto writes its persistence file (sessions and queued messages) before it exits."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()
