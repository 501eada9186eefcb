"""The bench's own accounts: window clerks of 江城区 and applicants, made through the organisation services.

``create_bench_accounts`` runs inside Django (``manage.py shell -c``, from ``bench/intake.py``),
which signs the accounts in by the names and password here. Only missing accounts are created,
so running it again on the same database changes nothing. Applicants alternate between citizens
(resident ID numbers, GB 11643) and enterprises (unified social credit codes, GB 32100), with
valid check characters, and have a mobile number, so "在线申报" starts a draft at once.
"""

from datetime import date, timedelta

from portal.organisation.choices import Role, SubjectType, UserKind
from portal.organisation.identity import id_number_check_character, uscc_check_character

PASSWORD = "Demo@2026"
CLERK_DEPARTMENT = "JZ-JC-SPJ"


def clerk_username(index: int) -> str:
    return f"bench_clerk{index}"


def applicant_username(index: int) -> str:
    return f"bench_applicant{index}"


def applicant_fields(index: int) -> dict[str, str]:
    """Who bench applicant ``index`` is: even ones citizens, odd ones enterprises."""
    if index % 2:
        first17 = f"91360100MB{index:07d}"
        return {"subject_type": SubjectType.ENTERPRISE, "full_name": f"江州压测{index}号餐饮有限公司",
                "identity_code": first17 + uscc_check_character(first17)}
    first17 = f"360102{date(1980, 1, 1) + timedelta(days=index):%Y%m%d}{index % 1000:03d}"
    return {"subject_type": SubjectType.CITIZEN, "full_name": f"压测申请人{index}",
            "identity_code": first17 + id_number_check_character(first17)}


def create_bench_accounts(*, clerks: int, applicants: int) -> None:
    # Imported here: the bench's client reads this module's names without Django set up.
    from django.contrib.auth.hashers import make_password

    from portal.organisation import services as organisation
    from portal.organisation.models import Department, User

    # Hashed once: PBKDF2 takes half a second an account, a minute for a hundred applicants.
    password = make_password(PASSWORD)
    department = Department.objects.get(code=CLERK_DEPARTMENT)
    wanted = [(User(username=clerk_username(index), full_name=f"压测窗口{index}", department=department,
                    password=password), [Role.WINDOW_CLERK]) for index in range(clerks)]
    wanted += [(User(username=applicant_username(index), kind=UserKind.APPLICANT, phone=f"139{index:08d}",
                     password=password, **applicant_fields(index)), None) for index in range(applicants)]
    existing = set(User.objects.filter(username__in=[user.username for user, _ in wanted])
                   .values_list("username", flat=True))
    for user, roles in wanted:
        if user.username not in existing:
            organisation.save_user(user, actor=None, roles=roles)
