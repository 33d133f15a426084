"""保険者番号 validation: length by insurer kind and the 検証番号 (check digit).

法別番号 2 + 都道府県番号 2 + 保険者別番号 3 + 検証番号 1 = 8 digits; 国保 has no 法別番号: 6 digits.
検証番号: multiply the preceding digits, starting from the last, by 2, 1, 2, 1 ...; add the products, a two-digit
product counting as the sum of its digits; the check digit is 10 minus the last digit of the sum (0 when that is 0).
"""


def check_digit(body: str) -> int:
    total = 0
    for position, char in enumerate(reversed(body)):
        product = int(char) * (2 if position % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10


def insurer_number_error(number: str, expected_length: int) -> str | None:
    """Return a Japanese error message, or None when the number is valid."""
    if not number:
        return "保険者番号を入力してください。"
    if not number.isascii() or not number.isdigit():
        return "保険者番号は半角数字で入力してください。"
    if len(number) != expected_length:
        return f"保険者番号の桁数が正しくありません（この種別は{expected_length}桁です）。"
    if check_digit(number[:-1]) != int(number[-1]):
        return "保険者番号の検証番号（末尾の1桁）が正しくありません。"
    return None
