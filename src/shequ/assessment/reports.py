def send_due() -> int:
    return 0
