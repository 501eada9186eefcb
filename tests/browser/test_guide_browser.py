"""In a real browser: accessibility of the public guide, and admin edit → publish → public page."""

import pytest

from tests.browser.conftest import format_violations, screenshot, serious_axe_violations
from tests.factories import ItemFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def published_items(bureau_city, bureau_a):
    food = ItemFactory(
        name="食品经营许可", department=bureau_city, publish=True, for_citizens=True,
        conditions="（一）具有与经营的食品品种、数量相适应的经营场所；\n（二）具有食品安全管理人员。",
        materials=[
            {"name": "食品经营许可申请书", "form": "original", "copies": 1, "required": True},
            {"name": "营业执照", "form": "copy", "copies": 1, "required": True, "licence_reuse": "营业执照"},
        ],
    )
    ItemFactory(name="公共场所卫生许可", department=bureau_a, level="district", publish=True)
    ItemFactory(name="户外广告设施设置审批", department=bureau_city, handling_class="immediate",
                promised_limit=0, publish=True)
    return {"food": food}


@pytest.mark.parametrize("path_name", ["home", "guide_list", "guide_detail", "login"])
def test_public_pages_have_no_serious_accessibility_violations(page, live_server, published_items, path_name):
    paths = {
        "home": "/",
        "guide_list": "/guide/?q=许可",
        "guide_detail": f"/guide/{published_items['food'].implementation_code}/",
        "login": "/accounts/login/",
    }
    page.goto(live_server.url + paths[path_name])
    screenshot(page, f"a11y-{path_name}")

    violations = serious_axe_violations(page)

    assert violations == [], format_violations(violations)


def test_live_search_updates_results_without_a_full_reload(page, live_server, published_items):
    page.goto(live_server.url + "/guide/")
    page.evaluate("window.__marker = 'same page'")

    page.fill("#guide-q", "卫生")
    page.wait_for_function("document.querySelector('.result-count').textContent.includes('共 1 项')")

    assert page.locator(".item-title").all_inner_texts() == ["公共场所卫生许可"]
    assert page.evaluate("window.__marker") == "same page"
    assert "q=%E5%8D%AB%E7%94%9F" in page.url


def test_admin_edits_an_item_publishes_and_the_public_guide_shows_it(page, live_server, published_items, admin_city):
    food = published_items["food"]
    page.goto(live_server.url + "/accounts/login/?next=/admin/catalogue/item/")
    page.fill("#id_username", "admin_city")
    page.fill("#id_password", "pass-for-tests-2026")
    page.click("main button[type=submit]")  # the header's language switch is a submit button too
    page.wait_for_selector("#changelist")
    screenshot(page, "admin-changelist")

    page.click(f"#result_list a:text-is('{food.name}')")
    page.wait_for_selector("#item_form")
    page.fill("#id_promised_limit", "3")
    page.fill("#id_conditions", "（一）具有与经营的食品品种相适应的经营场所；\n（二）新增：具有食品安全自查制度。")
    page.click("input[name=_save]")
    page.wait_for_load_state()
    screenshot(page, "admin-item-saved")
    page.wait_for_selector(".messagelist .success")

    before = page.context.new_page()
    before.goto(f"{live_server.url}/guide/{food.implementation_code}/")
    assert "新增：具有食品安全自查制度" not in before.content()  # not public until published

    page.check(f"input[name=_selected_action][value='{food.pk}']")
    page.select_option("select[name=action]", "publish_selected")
    page.click("button[name=index]")
    page.wait_for_selector(".messagelist .success")

    page.goto(f"{live_server.url}/guide/{food.implementation_code}/")
    screenshot(page, "guide-after-publish")
    body = page.content()
    assert "新增：具有食品安全自查制度" in body
    assert "3 个工作日" in body
    assert "第 2 版" in body
