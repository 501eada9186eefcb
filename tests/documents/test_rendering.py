"""Rendering: every kind becomes a Chinese PDF with its font embedded, fast enough to do inline."""

import io
import logging
import re
import statistics
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from portal.documents.choices import DocumentKind
from portal.documents.rendering import font_subsetting_backend, render_html, render_pdf
from portal.documents.samples import RENDERABLE_KINDS, sample_context
from portal.documents.templatetags.document_tags import official_seal, qr_code, qr_matrix
from tests.documents.pdf_tools import first_page_png, fonts_of, page_count, text_of, text_of_page

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "documents"

# What a reader must find on each document (compared with all whitespace removed).
KEY_STRINGS = {
    "receipt": [
        "江州市行政审批局", "收件回执", "办件编号：JZ2026030200012", "食品经营许可", "江州宏信餐饮管理有限公司",
        "食品经营许可申请书", "营业执照", "预计办结日期", "2026年3月9日", "扫码查询办理进度", "不作为受理凭证",
    ],
    "acceptance_notice": [
        "受理通知书", "江审批受字〔2026〕第00012号", "江州宏信餐饮管理有限公司：",
        "第三十二条第一款第（五）项", "决定予以受理", "20个工作日内作出行政许可决定", "2026年3月10日前办结",
    ],
    "non_acceptance_notice": [
        "不予受理通知书", "江审批不受字〔2026〕第00003号", "申请事项不属于本机关职权范围", "本机关决定不予受理",
        "向江州市临湖区行政审批局提出申请", "六十日内向江州市人民政府申请行政复议",
        "六个月内依法向江州市江城区人民法院提起行政诉讼",
    ],
    "correction_notice": [
        "补正材料通知书", "江审批补字〔2026〕第00007号", "一次性告知你（单位）需要补正的全部内容",
        "主要设备设施布局、操作流程等文件", "请提交标明功能区域、面积及设备位置的平面布局图",
        "法定代表人身份证明", "食品安全管理人员名单及培训考核证明",
        # Art. 32(1)(4), quoted in full: the applicant's protection against piecemeal demands.
        "申请材料不齐全或者不符合法定形式的，应当当场或者在五日内一次告知申请人需要补正的全部内容，"
        "逾期不告知的，自收到申请材料之日起即为受理。",
    ],
    "approval_decision": [
        "准予行政许可决定书", "江审批许字〔2026〕第00012号", "第三十八条第一款", "本机关决定准予行政许可",
        "JY23501000012345", "热食类食品制售", "2026年3月9日至2031年3月8日", "10个工作日内",
    ],
    "refusal_decision": [
        "不予行政许可决定书", "江审批不许字〔2026〕第00004号", "不符合法定条件、标准，理由如下",
        "经营场所距离公共厕所不足二十五米", "第三十八条第二款", "本机关决定不予行政许可",
        "自收到本决定书之日起六十日内向江州市人民政府申请行政复议",
        "自收到本决定书之日起六个月内依法向江州市江城区人民法院提起行政诉讼",
    ],
    "licence": [
        "食品经营许可证", "编号：JY23501000012345", "江州宏信餐饮管理有限公司", "91350100M000100Y43",
        "食品经营许可", "冷食类食品制售", "2026年3月9日至2031年3月8日", "发证机关：江州市行政审批局",
        "发证日期：2026年3月9日", "https://zwfw.jiangzhou.gov.cn/licences/verify/3f9c2a7e51d84b0c",
    ],
}


def test_every_kind_but_the_later_one_has_a_sample_and_key_strings():
    assert set(RENDERABLE_KINDS) == set(KEY_STRINGS) == set(DocumentKind.values) - {"supervision_notice"}


@pytest.mark.parametrize("kind", RENDERABLE_KINDS)
def test_each_kind_renders_a_chinese_pdf_with_its_key_text(kind):
    # given the sample context of the kind
    context = sample_context(kind)
    # when
    pdf = render_pdf(kind, context)
    # then it is a PDF of at least one page whose text a reader (pdftotext) can find
    assert pdf.startswith(b"%PDF-")
    assert page_count(pdf) >= 1
    text = text_of(pdf)
    missing = [phrase for phrase in KEY_STRINGS[kind] if phrase not in text]
    assert missing == []
    # and the page image is kept for people to look at
    first_page_png(pdf, ARTIFACTS / f"{kind}.png")


@pytest.mark.parametrize("kind", RENDERABLE_KINDS)
def test_the_samples_fit_on_one_page(kind):
    assert page_count(render_pdf(kind, sample_context(kind))) == 1


def test_a_long_notice_runs_on_and_never_leaves_the_seal_alone_on_a_page():
    # given a one-time notice listing thirty materials
    context = sample_context("correction_notice")
    context["items"] = [
        {"material": f"补充材料{number}", "problem": "未提交", "requirement": f"请提交第{number}项证明材料的原件及复印件"}
        for number in range(1, 31)
    ]
    # when
    pdf = render_pdf("correction_notice", context)
    # then every material is listed, the table header repeats, and the closing paragraph
    # goes to the last page with the signature (GB/T 9704: no page with only the seal)
    pages = page_count(pdf)
    assert pages >= 2
    text = text_of(pdf)
    assert all(f"补充材料{number}" in text for number in range(1, 31))
    assert "存在问题及补正要求" in text_of_page(pdf, 2)
    last = text_of_page(pdf, pages)
    assert "补正材料期间不计算在行政许可期限内" in last
    assert "2026年3月3日" in last


def test_the_cjk_serif_font_is_embedded_as_a_subset():
    fonts = fonts_of(render_pdf("approval_decision", sample_context("approval_decision")))

    cjk = [font for font in fonts if "Noto-Serif-CJK-SC" in font["name"]]
    assert {font["name"].split("+", 1)[1] for font in cjk} == {"Noto-Serif-CJK-SC", "Noto-Serif-CJK-SC-Bold"}
    assert all(font["embedded"] == "yes" for font in fonts)
    # a subset is named with a six-letter tag: "BYMOGM+Noto-Serif-CJK-SC"
    assert all(len(font["name"].split("+", 1)[0]) == 6 for font in cjk)


def test_weasyprint_subsets_fonts_with_harfbuzz_not_the_slow_fonttools_fallback(monkeypatch, caplog):
    """libharfbuzz-subset0 missing makes every document ~6 s instead of ~0.1 s (fontTools on the CJK font)."""
    from weasyprint.pdf.fonts import Font

    # given the test WeasyPrint itself makes (weasyprint/pdf/fonts.py, Font.subset)
    assert font_subsetting_backend() == "harfbuzz", "install the Debian package libharfbuzz-subset0"
    calls = {"harfbuzz": 0}
    harfbuzz_subset = Font._harfbuzz_subset

    def counting_harfbuzz_subset(self, *args, **kwargs):
        calls["harfbuzz"] += 1
        return harfbuzz_subset(self, *args, **kwargs)

    def refuse_fonttools_subset(self, *args, **kwargs):
        raise AssertionError("WeasyPrint fell back to fontTools subsetting")

    monkeypatch.setattr(Font, "_harfbuzz_subset", counting_harfbuzz_subset)
    monkeypatch.setattr(Font, "_fonttools_subset", refuse_fonttools_subset)
    # when
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        render_pdf("approval_decision", sample_context("approval_decision"))
    # then every font went through HarfBuzz and WeasyPrint did not warn about the fallback
    assert calls["harfbuzz"] >= 2  # regular and bold
    assert "fontTools" not in caplog.text


def test_a_warm_render_takes_less_than_a_second():
    context = sample_context("approval_decision")
    render_pdf("approval_decision", context)  # warm-up: fontconfig and Pango load once per process
    durations = []
    for _ in range(5):
        started = time.perf_counter()
        render_pdf("approval_decision", context)
        durations.append(time.perf_counter() - started)

    print(f"approval_decision render: median {statistics.median(durations):.3f} s, max {max(durations):.3f} s")
    assert max(durations) < 1.0


def test_templates_list_their_context_keys_at_the_top():
    for kind in RENDERABLE_KINDS:
        source = (Path(settings.BASE_DIR) / "templates" / "documents" / f"{kind}.html").read_text()
        head = source.split("{% endcomment %}", 1)[0]
        assert source.startswith('{% extends "documents/base.html" %}\n{% comment %}')
        assert "Context keys:" in head
        for key in sample_context(kind):
            assert key in head or key in _base_keys(), f"{kind}.html does not list {key}"


def _base_keys() -> str:
    source = (Path(settings.BASE_DIR) / "templates" / "documents" / "base.html").read_text()
    return source.split("{% endcomment %}", 1)[0]


def test_the_seal_writes_the_organ_name_on_the_rim_around_a_star():
    markup = official_seal("江州市行政审批局")

    glyphs = re.findall(r"<text [^>]*>([^<]*)</text>", markup)
    assert "".join(glyphs) == "江州市行政审批局"
    assert "<polygon" in markup and markup.count(",") >= 10  # the five-pointed star
    assert 'stroke="#d7141a"' in markup


def test_the_seal_escapes_what_it_is_given():
    markup = official_seal("<b>局", purpose="&专用章")

    assert "<b>" not in markup
    assert "&lt;" in markup and "&amp;专用章" in markup


def test_the_qr_code_draws_every_dark_module_of_the_url():
    url = "https://zwfw.jiangzhou.gov.cn/progress/JZ2026030200012"
    matrix = qr_matrix(url)
    markup = qr_code(url, "28mm")

    runs = markup.split('d="', 1)[1].split('"', 1)[0].split("z")[:-1]
    drawn = sum(int(run.split("h", 1)[1].split("v", 1)[0]) for run in runs)
    assert drawn == sum(sum(row) for row in matrix)
    assert 'width="28mm"' in markup


def test_the_licence_and_receipt_carry_qr_codes_of_their_public_pages():
    for kind, url_key in (("licence", "verification_url"), ("receipt", "progress_url")):
        context = sample_context(kind)
        html = render_html(kind, context)
        path_data = str(qr_code(context[url_key])).split('d="', 1)[1].split('"', 1)[0]
        assert f'd="{path_data}"' in html


def test_preview_documents_writes_each_sample(tmp_path):
    output = io.StringIO()
    call_command("preview_documents", "--output", str(tmp_path / "preview"), "--kind", "licence",
                 "--kind", "receipt", "--sign", "--png", stdout=output)

    assert sorted(path.name for path in (tmp_path / "preview").iterdir()) == [
        "licence-1.png", "licence.pdf", "receipt-1.png", "receipt.pdf"
    ]
    assert b"/ByteRange" in (tmp_path / "preview" / "licence.pdf").read_bytes()
    assert "rendered in" in output.getvalue()
