"""Password policy: the validators in ``AUTH_PASSWORD_VALIDATORS`` beyond Django's own.

They run wherever a person chooses a password (the portal's sign-up, the password change page, the admin's user
forms); passwords set directly in code (the demo's accounts, tests' personas) are not validated.
"""

from __future__ import annotations

import string
from typing import Any

from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# Character classes a password draws from; "other" is anything else (punctuation, spaces, Chinese characters).
CLASSES = {
    "lower": set(string.ascii_lowercase),
    "upper": set(string.ascii_uppercase),
    "digit": set(string.digits),
}


def character_classes(password: str) -> int:
    """How many of the four classes (lower case, upper case, digits, others) the password uses."""
    used = {name for ch in password for name, chars in CLASSES.items() if ch in chars}
    others = any(not any(ch in chars for chars in CLASSES.values()) for ch in password)
    return len(used) + int(others)


class CharacterClassesValidator:
    """At least ``min_classes`` of the four character classes."""

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        if character_classes(password) < self.min_classes:
            raise ValidationError(self.get_error_message(), code="password_too_simple")

    def get_error_message(self) -> str:
        return ngettext(
            "The password must mix at least %(n)d kind of character: lower case, upper case, digits, symbols.",
            "The password must mix at least %(n)d kinds of characters: lower case, upper case, digits, symbols.",
            self.min_classes,
        ) % {"n": self.min_classes}

    def get_help_text(self) -> str:
        return self.get_error_message()


# Passwords Chinese users pick most often (leaked-password studies of CSDN, 178, 7k7k, Tianya and later lists):
# digit runs, keyboard walks, pinyin and "I love you" numerals (520 = 我爱你, 1314 = 一生一世). Django's own list is
# English-centred; both are checked. Compared in lower case.
_CHINESE_COMMON_TEXT = """
    123456 1234567 12345678 123456789 1234567890 0123456789 012345678 111111 1111111 11111111 000000 00000000
    888888 88888888 666666 66666666 999999 99999999 123123 123123123 123321 654321 987654321 112233 121212 147258369
    147258 159753 159357 123654 123654789 741852963 789456123 7894561230 qwerty qwertyuiop qwe123 qweqwe
    1qaz2wsx 1q2w3e4r 1q2w3e4r5t 1q2w3e 2wsx3edc zxcvbnm zxcvbnm123 asdfghjkl asd123 asdasd abc123 abc123456
    abcd1234 abcd123456 a123456 a12345678 a123456789 aa123456 a1234567 a111111 123456a 123456aa 123456abc
    password password1 password123 p@ssw0rd passw0rd admin admin123 admin888 admin@123 root123 test123 iloveyou
    woaini woaini1314 woaini520 woaini123 woaini521 5201314 520520 1314520 52013145201314 5201314520 woaiwojia
    qq123456 qq5201314 qq123123 qq666666 wang123456 zhang123456 li123456 liu123456 chen123456 yang123456
    huang123456 zhao123456 wangyang wangjian wangwei woshishui nishishui aini1314 aaaaaa aaa111 11223344
    a5201314 5211314 584520 1qaz1qaz 1qaz@wsx qaz123 zaq12wsx 123qwe 123qwe123 123qweasd qweasd qweasdzxc
    qweasd123 qwer1234 asdf1234 zxc123 zxc123456 abcdefg abcdefgh 147852369 14789632 159632 25257758
    dearbook 31415926 3.1415926 18n28n24a5 computer internet sunshine shanghai beijing beijing2008 china123
    zhongguo zhongguo123 tianya tianya123 baidu123 taobao123 iloveyou1314 love1314 mima123 mima123456
    woaini110 xiaoming xiaoqiang wodemima 123456789a 123456789q a1b2c3d4 1a2b3c4d q1w2e3r4 shequ2025
"""
CHINESE_COMMON = frozenset(_CHINESE_COMMON_TEXT.split())


class ChineseCommonPasswordValidator(CommonPasswordValidator):
    """Refuse the passwords Chinese users choose most often (Django's list is checked by its own validator)."""

    def __init__(self) -> None:  # no file to read: the list lives above
        self.passwords = CHINESE_COMMON

    def validate(self, password: str, user: Any = None) -> None:
        if password.lower().strip() in self.passwords:
            raise ValidationError(_("This password is one of the most common ones."), code="password_too_common")


class UsernameNotInPasswordValidator:
    """The user name (or mobile number) must not appear inside the password, in any case."""

    MIN_LENGTH = 3  # "li" inside a password is chance, not a leak

    def validate(self, password: str, user: Any = None) -> None:
        if user is None:
            return
        lowered = password.lower()
        for value in (getattr(user, "username", ""), getattr(user, "phone", "")):
            value = str(value or "").lower()
            if len(value) >= self.MIN_LENGTH and value in lowered:
                raise ValidationError(
                    _("The password must not contain your user name or mobile number."), code="password_has_username"
                )

    def get_help_text(self) -> str:
        return _("The password must not contain your user name or mobile number.")
