"""Identity codes of applicants: resident ID numbers (GB 11643-1999) and unified social credit
codes (GB 32100-2015), with their check characters. Invalid codes are refused with a message an
applicant can act on; some real codes fail their check digit, which an audited override handles
(issue 3), never a silent pass."""

from django.core.exceptions import ValidationError

ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK_MAP = "10X98765432"
# GB 32100: 31 characters — digits and capitals without I, O, S, V, Z.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def id_number_check_character(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_MAP[total % 11]


def uscc_check_character(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(char) * weight for char, weight in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_id_number(value: str) -> str:
    code = (value or "").strip().upper()
    if len(code) != 18:
        raise ValidationError("身份证号码应为 18 位，当前为 %(n)s 位。", params={"n": len(code)}, code="length")
    if not code[:17].isdigit() or not (code[17].isdigit() or code[17] == "X"):
        raise ValidationError("身份证号码前 17 位应为数字，最后一位为数字或 X。", code="characters")
    if id_number_check_character(code[:17]) != code[17]:
        raise ValidationError("身份证号码校验位不正确，请核对后重新输入。", code="check_digit")
    return code


def validate_uscc(value: str) -> str:
    code = (value or "").strip().upper()
    if len(code) != 18:
        raise ValidationError("统一社会信用代码应为 18 位，当前为 %(n)s 位。", params={"n": len(code)}, code="length")
    bad = sorted({char for char in code if char not in USCC_ALPHABET})
    if bad:
        raise ValidationError(
            "统一社会信用代码含有不允许的字符：%(chars)s（不使用 I、O、S、V、Z）。",
            params={"chars": "、".join(bad)},
            code="characters",
        )
    if uscc_check_character(code[:17]) != code[17]:
        raise ValidationError("统一社会信用代码校验位不正确，请核对后重新输入。", code="check_digit")
    return code
