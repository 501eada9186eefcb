"""Demo data: the city of 江州 with districts and streets, its departments, a service hall with
windows, one user per role, and the catalogue of ``portal/catalogue/demo/items.json``.

Everything is created through the services (so the audit trail shows the demo's history too) and
only when missing, so loading twice changes nothing.
"""

import io
import json
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import transaction

from portal.catalogue import services as catalogue
from portal.catalogue.models import Item
from portal.organisation import services as organisation
from portal.organisation.choices import DepartmentKind, RegionLevel, Role, SubjectType, UserKind
from portal.organisation.identity import id_number_check_character, uscc_check_character
from portal.organisation.models import Department, Region, ServiceHall, User, Window

ITEMS_FILE = Path(__file__).resolve().parent / "catalogue" / "demo" / "items.json"
DEMO_PASSWORD = "Demo@2026"

CITY = ("JZ", "江州市")
DISTRICTS = [("JZ-JC", "江城区"), ("JZ-LH", "临湖区"), ("JZ-GX", "高新区"), ("JZ-BS", "北山县")]
STREETS = {
    "JZ-JC": [("JZ-JC-01", "滨江街道"), ("JZ-JC-02", "八一街道")],
    "JZ-LH": [("JZ-LH-01", "湖滨街道"), ("JZ-LH-02", "莲塘镇")],
    "JZ-GX": [("JZ-GX-01", "瑶湖街道")],
    "JZ-BS": [("JZ-BS-01", "北山镇"), ("JZ-BS-02", "石门乡")],
}
CITY_DEPARTMENTS = [
    ("SPJ", "江州市行政审批局", DepartmentKind.APPROVAL_BUREAU),
    ("SCJ", "江州市市场监督管理局", DepartmentKind.FUNCTIONAL),
    ("WJW", "江州市卫生健康委员会", DepartmentKind.FUNCTIONAL),
    ("ZJJ", "江州市住房和城乡建设局", DepartmentKind.FUNCTIONAL),
    ("ZGJ", "江州市自然资源和规划局", DepartmentKind.FUNCTIONAL),
    ("HBJ", "江州市生态环境局", DepartmentKind.FUNCTIONAL),
    ("JTJ", "江州市交通运输局", DepartmentKind.FUNCTIONAL),
    ("RSJ", "江州市人力资源和社会保障局", DepartmentKind.FUNCTIONAL),
    ("JYJ", "江州市教育局", DepartmentKind.FUNCTIONAL),
    ("WLJ", "江州市文化广电旅游局", DepartmentKind.FUNCTIONAL),
    ("NYJ", "江州市农业农村局", DepartmentKind.FUNCTIONAL),
    ("SWJ", "江州市水务局", DepartmentKind.FUNCTIONAL),
    ("YJJ", "江州市应急管理局", DepartmentKind.FUNCTIONAL),
    ("GAJ", "江州市公安局", DepartmentKind.FUNCTIONAL),
    ("MZJ", "江州市民政局", DepartmentKind.FUNCTIONAL),
    ("CGJ", "江州市城市管理局", DepartmentKind.FUNCTIONAL),
    ("FGW", "江州市发展和改革委员会", DepartmentKind.FUNCTIONAL),
    ("YCJ", "江州市烟草专卖局", DepartmentKind.FUNCTIONAL),
    ("LYJ", "江州市林业局", DepartmentKind.FUNCTIONAL),
    ("ZWJ", "江州市政务服务管理局（电子监察室）", DepartmentKind.SUPERVISION_OFFICE),
    ("SFJ", "江州市司法局（行政执法监督局）", DepartmentKind.ENFORCEMENT_SUPERVISION),
    ("FZB", "江州市人民政府法制办公室", DepartmentKind.LEGAL_AFFAIRS),
]
DISTRICT_DEPARTMENTS = [
    ("SPJ", "行政审批局", DepartmentKind.APPROVAL_BUREAU),
    ("SCJ", "市场监督管理局", DepartmentKind.FUNCTIONAL),
    ("WJW", "卫生健康局", DepartmentKind.FUNCTIONAL),
    ("CGJ", "城市管理局", DepartmentKind.FUNCTIONAL),
]
# username, full name, roles, department code, scope region code (None: the department's region)
STAFF = [
    ("admin_city", "管理员（市）", [Role.ADMIN], "JZ-ZWJ", None),
    ("clerk_city", "窗口人员 李敏", [Role.WINDOW_CLERK], "JZ-SPJ", None),
    ("handler_city", "承办人 王磊", [Role.HANDLER], "JZ-SPJ", None),
    ("reviewer_city", "审核人 赵芳", [Role.REVIEWER], "JZ-SPJ", None),
    ("approver_city", "批准人 陈军", [Role.APPROVER], "JZ-SPJ", None),
    ("regulator_city", "监管人员 孙丽", [Role.REGULATOR], "JZ-SCJ", None),
    ("enforcer_city", "执法人员 周强", [Role.ENFORCEMENT_OFFICER], "JZ-SCJ", None),
    ("overseer_city", "执法监督人员 吴刚", [Role.SUPERVISION_OFFICER], "JZ-SFJ", None),
    ("legal_city", "法制审核 郑洁", [Role.LEGAL_REVIEWER], "JZ-FZB", None),
    ("supervisor_city", "监察人员 冯涛", [Role.SUPERVISOR], "JZ-ZWJ", None),
    ("admin_jc", "管理员（江城区）", [Role.ADMIN], "JZ-JC-SPJ", None),
    ("clerk_jc", "窗口人员 刘洋", [Role.WINDOW_CLERK], "JZ-JC-SPJ", None),
    ("supervisor_jc", "监察人员 何静", [Role.SUPERVISOR], "JZ-JC-SPJ", None),
    ("clerk_lh", "窗口人员 黄晨", [Role.WINDOW_CLERK], "JZ-LH-SPJ", None),
    # Participating departments of the joint item 企业开办“一件事” (协办部门).
    ("handler_scj", "承办人 钱进", [Role.HANDLER], "JZ-SCJ", None),
    ("handler_gaj", "承办人 马骁", [Role.HANDLER], "JZ-GAJ", None),
]


def _id_number(first17: str) -> str:
    return first17 + id_number_check_character(first17)


def _uscc(first17: str) -> str:
    return first17 + uscc_check_character(first17)


APPLICANTS = [
    ("citizen_zhang", "张伟", SubjectType.CITIZEN, _id_number("36010219850612003")),
    ("enterprise_hongxin", "江州宏信餐饮管理有限公司", SubjectType.ENTERPRISE, _uscc("91360100MA38HX2K0")),
]


@transaction.atomic
def load_demo(*, stdout=None) -> dict[str, int]:
    """Create whatever of the demo is missing; returns counts of what it created."""
    created = {"regions": 0, "departments": 0, "users": 0, "items": 0}
    city = _region(CITY[0], CITY[1], RegionLevel.CITY, None, created)
    for code, name in DISTRICTS:
        district = _region(code, name, RegionLevel.DISTRICT, city, created)
        for street_code, street_name in STREETS[code]:
            _region(street_code, street_name, RegionLevel.STREET, district, created)
    for short, name, kind in CITY_DEPARTMENTS:
        _department(f"JZ-{short}", name, kind, city, created)
    for code, district_name in DISTRICTS:
        district = Region.objects.get(code=code)
        for short, name, kind in DISTRICT_DEPARTMENTS:
            _department(f"{code}-{short}", f"{district_name}{name}", kind, district, created)
    _halls()
    for username, full_name, roles, department_code, scope_code in STAFF:
        if not User.objects.filter(username=username).exists():
            user = User(
                username=username,
                full_name=full_name,
                kind=UserKind.STAFF,
                department=Department.objects.get(code=department_code),
                scope_region=Region.objects.get(code=scope_code) if scope_code else None,
                phone="13800000000",
            )
            organisation.save_user(user, actor=None, roles=roles, password=DEMO_PASSWORD)
            created["users"] += 1
    for username, full_name, subject_type, code in APPLICANTS:
        if not User.objects.filter(username=username).exists():
            user = User(username=username, full_name=full_name, kind=UserKind.APPLICANT,
                        subject_type=subject_type, identity_code=code, phone="13900000000")
            organisation.save_user(user, actor=None, password=DEMO_PASSWORD)
            created["users"] += 1
    created["items"] = load_demo_items()
    return created


def _region(code, name, level, parent, created) -> Region:
    region = Region.objects.filter(code=code).first()
    if region is None:
        region = organisation.create_region(code=code, name=name, level=level, parent=parent, actor=None)
        created["regions"] += 1
    return region


def _department(code, name, kind, region, created) -> Department:
    department = Department.objects.filter(code=code).first()
    if department is None:
        department = organisation.save_department(
            Department(code=code, name=name, kind=kind, region=region, contact_person="办公室",
                       contact_phone="0791-86000000"),
            actor=None,
        )
        created["departments"] += 1
    return department


def _halls() -> None:
    halls = [("JZ", "江州市政务服务中心", "江州市赣江北大道 1 号"), ("JZ-JC", "江城区政务服务中心", "江城区八一大道 88 号")]
    for region_code, name, address in halls:
        if ServiceHall.objects.filter(name=name).exists():
            continue
        hall = organisation.save_hall(
            ServiceHall(name=name, region=Region.objects.get(code=region_code), address=address,
                        opening_hours="工作日 9:00–12:00，13:30–17:30", phone="0791-12345"),
            actor=None,
        )
        departments = Department.objects.filter(region__code=region_code, kind__in=[
            DepartmentKind.APPROVAL_BUREAU, DepartmentKind.FUNCTIONAL]).order_by("code")[:8]
        for number, department in enumerate(departments, start=1):
            organisation.save_window(
                Window(hall=hall, number=number, name=f"{department.short_name or department.name}窗口",
                       department=department), actor=None)


def load_demo_items() -> int:
    """Create and publish the demo catalogue items that are missing."""
    records = json.loads(ITEMS_FILE.read_text(encoding="utf-8"))
    departments = {department.code: department for department in Department.objects.all()}
    existing = set(Item.objects.values_list("implementation_code", flat=True))
    created = 0
    for record in records:
        if record["implementation_code"] in existing:
            continue
        basic_item = catalogue.ensure_basic_item(
            basic_code=record["basic_code"], name=record["name"], nature=record["nature"], actor=None
        )
        standard = record.get("supervision_standard") or {}
        item = catalogue.create_item(
            actor=None,
            basic_item=basic_item,
            implementation_code=record["implementation_code"],
            name=record["name"],
            sub_items=record["sub_items"],
            nature=record["nature"],
            department=departments[record["department"]],
            level=record["level"],
            status=record["status"],
            catalogue_year=record["catalogue_year"],
            legal_basis=record["legal_basis"],
            conditions=record["conditions"],
            review_standards=record["review_standards"],
            procedure_chain=record["procedure_chain"],
            procedure_steps=record["procedure_steps"],
            on_site_inspection=record["on_site_inspection"],
            expert_review=record["expert_review"],
            special_procedures=record["special_procedures"],
            fees=record["fees"],
            statutory_limit=record["statutory_limit"],
            promised_limit=record["promised_limit"],
            handling_class=record["handling_class"],
            service_category=record["service_category"],
            for_citizens=record["for_citizens"],
            for_enterprises=record["for_enterprises"],
            max_trips=record["max_trips"],
            counselling_phone=record["counselling_phone"],
            supervision_phone=record["supervision_phone"],
            office_address=record["office_address"],
            office_hours=record["office_hours"],
            regulator=departments.get(standard.get("regulator")),
            supervision_objects=standard.get("objects", ""),
            supervision_content=standard.get("content", ""),
            supervision_measures=standard.get("measures", ""),
            supervision_procedure=standard.get("procedure", ""),
            supervision_annual_plan=standard.get("annual_plan", ""),
            supervision_handling=standard.get("handling", ""),
            materials=[
                {key: material[key] for key in ("name", "form", "copies", "required", "notes")}
                | {"licence_reuse": material.get("licence_reuse") or ""}
                for material in record["materials"]
            ],
            prerequisites=record["intermediary_prerequisites"],
        )
        if record.get("participating_departments"):
            # Joint items (联办件): the departments that handle parallel sub-cases, and their limits.
            catalogue.replace_participations(item, [
                {"department": departments[row["department"]], "promised_limit": row["promised_limit"],
                 "duty": row.get("duty", "")}
                for row in record["participating_departments"]
            ], actor=None)
        for material, source in zip(item.materials.order_by("position"), record["materials"], strict=True):
            if source.get("has_template"):
                material.template.save(f"{material.name}.xlsx", ContentFile(_form_template(item, material)), save=False)
                catalogue.save_material(material, actor=None)
        catalogue.publish_item(item, actor=None)
        created += 1
    return created


def _form_template(item: Item, material) -> bytes:
    """A blank application form as an xlsx sheet, as officials publish them."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "申请表"
    sheet.merge_cells("A1:D1")
    sheet["A1"] = material.name
    sheet["A1"].font = Font(size=16, bold=True)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet["A2"] = f"事项：{item.name}（{item.implementation_code}）"
    rows = ["申请人名称", "统一社会信用代码/身份证号码", "法定代表人（负责人）", "联系电话", "住所/经营场所",
            "申请事项内容", "申请人（签章）", "申请日期"]
    thin = Side(style="thin")
    for index, label in enumerate(rows, start=4):
        sheet.cell(row=index, column=1, value=label).border = Border(thin, thin, thin, thin)
        sheet.merge_cells(start_row=index, start_column=2, end_row=index, end_column=4)
        sheet.cell(row=index, column=2).border = Border(thin, thin, thin, thin)
    sheet.column_dimensions["A"].width = 30
    for column in "BCD":
        sheet.column_dimensions[column].width = 20
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
