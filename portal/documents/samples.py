"""A realistic context for each kind of document, for tests and ``manage.py preview_documents``.

One food-business licence case followed from receipt to licence (and, for the refusals, the
same applicant turned down), issued by the city's approval bureau. The keys are the ones each
template lists at its top; a caller in approvals builds the same dictionaries from its models.
"""

from __future__ import annotations

import copy
import datetime

from portal.documents.choices import DocumentKind

SAMPLE_ORGAN_CODE = "C-SPJ"
SAMPLE_ORGAN_NAME = "江州市行政审批局"

_COMMON = {
    "organ_name": SAMPLE_ORGAN_NAME,
    "applicant_name": "江州宏信餐饮管理有限公司",
    "item_name": "食品经营许可",
    "receipt_number": "JZ2026030200012",
    "submitted_on": datetime.date(2026, 3, 2),
    "contact_name": "王晓",
    "contact_phone": "0591-87654321",
}

_REMEDIES = {
    # Since the 2023 revision of the Administrative Reconsideration Law, a city department's
    # decisions are reviewed by the city government.
    "reconsideration_organ": "江州市人民政府",
    "court": "江州市江城区人民法院",
}

SAMPLES: dict[str, dict] = {
    DocumentKind.RECEIPT: {
        "organ_name": SAMPLE_ORGAN_NAME,
        "applicant_name": _COMMON["applicant_name"],
        "item_name": _COMMON["item_name"],
        "item_code": "11350100MB0123456X4000117004001",
        "receipt_number": _COMMON["receipt_number"],
        "date": datetime.date(2026, 3, 2),
        "applicant_code": "91350100M000100Y43",
        "applicant_contact": "陈宏信",
        "applicant_phone": "138****5678",
        "received_at": datetime.datetime(2026, 3, 2, 10, 24),
        "window": "江州市政务服务中心A区12号窗口",
        "clerk_name": "李敏",
        "materials": [
            {"name": "食品经营许可申请书", "form": "原件", "copies": 1},
            {"name": "营业执照", "form": "复印件", "copies": 1},
            {"name": "法定代表人身份证明", "form": "复印件", "copies": 1},
            {"name": "与食品经营相适应的主要设备设施布局、操作流程等文件", "form": "原件", "copies": 1},
            {"name": "食品安全自查、从业人员健康管理、进货查验记录等食品安全管理制度", "form": "原件", "copies": 1},
        ],
        "promised_limit": 5,
        "expected_finish_date": datetime.date(2026, 3, 9),
        "progress_url": "https://zwfw.jiangzhou.gov.cn/progress/JZ2026030200012",
        "hall_phone": "0591-12345",
    },
    DocumentKind.ACCEPTANCE_NOTICE: {
        **_COMMON,
        "number": "江审批受字〔2026〕第 00012 号",
        "date": datetime.date(2026, 3, 3),
        "accepted_on": datetime.date(2026, 3, 3),
        "statutory_limit": 20,
        "promised_limit": 5,
        "expected_finish_date": datetime.date(2026, 3, 10),
    },
    DocumentKind.NON_ACCEPTANCE_NOTICE: {
        **_COMMON,
        **_REMEDIES,
        "number": "江审批不受字〔2026〕第 00003 号",
        "date": datetime.date(2026, 3, 3),
        "reason": "你（单位）申请的经营场所位于江州市临湖区，依照《江州市行政审批局关于调整食品经营许可审批权限的通知》，"
        "该区域内中型餐馆的食品经营许可由临湖区行政审批局实施，申请事项不属于本机关职权范围。",
        "legal_basis": "《中华人民共和国行政许可法》第三十二条第一款第（二）项",
        "competent_organ": "江州市临湖区行政审批局",
    },
    DocumentKind.CORRECTION_NOTICE: {
        **_COMMON,
        "number": "江审批补字〔2026〕第 00007 号",
        "date": datetime.date(2026, 3, 3),
        "items": [
            {
                "material": "主要设备设施布局、操作流程等文件",
                "problem": "未标注各功能区域及面积",
                "requirement": "请提交标明功能区域、面积及设备位置的平面布局图，并加盖公章",
            },
            {
                "material": "法定代表人身份证明",
                "problem": "复印件不清晰，有效期限无法辨认",
                "requirement": "请提交清晰的身份证正反面复印件，并由本人签字确认",
            },
            {
                "material": "食品安全管理人员名单及培训考核证明",
                "problem": "未提交",
                "requirement": "请提交食品安全管理人员名单及其食品安全知识培训考核合格证明",
            },
        ],
        "answer_within_days": 20,
        "submit_to": "江州市政务服务中心A区12号窗口或江州市政务服务网",
    },
    DocumentKind.APPROVAL_DECISION: {
        **_COMMON,
        "number": "江审批许字〔2026〕第 00012 号",
        "date": datetime.date(2026, 3, 9),
        "applicant_code": "91350100M000100Y43",
        "accepted_on": datetime.date(2026, 3, 3),
        "legal_basis": "《中华人民共和国食品安全法》第三十五条第一款",
        "licence_number": "JY23501000012345",
        "licence_scope": ["餐饮服务经营者（中型餐馆）", "热食类食品制售", "冷食类食品制售"],
        "valid_from": datetime.date(2026, 3, 9),
        "valid_until": datetime.date(2031, 3, 8),
        "delivery_days": 10,
    },
    DocumentKind.REFUSAL_DECISION: {
        **_COMMON,
        **_REMEDIES,
        "number": "江审批不许字〔2026〕第 00004 号",
        "date": datetime.date(2026, 3, 9),
        "accepted_on": datetime.date(2026, 3, 3),
        "reasons": [
            "经现场核查，经营场所距离公共厕所不足二十五米，不符合《餐饮服务食品安全操作规范》关于选址的要求；",
            "专间内未设置独立的空气消毒设施和专用冷藏设施，不具备冷食类食品制售的条件。",
        ],
        "legal_basis": "《食品经营许可和备案管理办法》第十二条",
    },
    DocumentKind.LICENCE: {
        "organ_name": SAMPLE_ORGAN_NAME,
        "date": datetime.date(2026, 3, 9),
        "licence_name": "食品经营许可证",
        "number": "JY23501000012345",
        "holder_name": "江州宏信餐饮管理有限公司",
        "holder_code": "91350100M000100Y43",
        "legal_representative": "陈宏信",
        "address": "江州市江城区滨江路88号1层",
        "item_name": "食品经营许可",
        "scope": ["餐饮服务经营者（中型餐馆）", "热食类食品制售", "冷食类食品制售"],
        "valid_from": datetime.date(2026, 3, 9),
        "valid_until": datetime.date(2031, 3, 8),
        "verification_url": "https://zwfw.jiangzhou.gov.cn/licences/verify/3f9c2a7e51d84b0c",
        "supervising_organ": "江州市江城区市场监督管理局",
        "complaint_phone": "12345",
    },
}

RENDERABLE_KINDS = tuple(str(kind) for kind in SAMPLES)


def sample_context(kind: str) -> dict:
    """A fresh copy of the sample context of ``kind`` (callers may change it freely)."""
    return copy.deepcopy(SAMPLES[DocumentKind(kind)])
