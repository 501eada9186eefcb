"""In a real browser: the dashboard draws its charts from the vendored ECharts, without errors."""

import shutil

import pytest

from supervision.efficiency import rollups
from tests.approvals.conftest import at
from tests.browser.conftest import format_violations, screenshot, serious_axe_violations
from tests.efficiency.conftest import AS_OF

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pass-for-tests-2026")
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def test_the_dashboard_draws_every_chart(page, live_server, october, supervisor_city):
    with at(*AS_OF):
        rollups.refresh_rollups()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(f"{message.text} {message.location.get('url', '')}")
            if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("response", lambda response: problems.append(f"{response.status} {response.url}")
            if response.status >= 400 else None)
    sign_in(page, live_server, supervisor_city.username)

    page.goto(f"{live_server.url}/supervision/efficiency/?start=2025-09&end=2025-11")
    page.wait_for_function("document.querySelectorAll('.chart canvas').length === 10")

    path = screenshot(page, "efficiency-dashboard")
    shutil.copy(path, "/tmp/dashboard.png")
    # The portal has no favicon (a 404 the browser asks for by itself, not the dashboard's doing).
    assert [problem for problem in problems if "/favicon.ico" not in problem] == []
    assert all(url.startswith(live_server.url) for url in requests)  # nothing from the network
    assert page.locator("#efficiency-status").is_hidden()
    totals = page.locator("#efficiency-totals .summary-value").all_inner_texts()
    assert totals[:3] == ["6", "6", "5"]  # received, accepted, concluded in September–November
    violations = serious_axe_violations(page)
    assert violations == [], format_violations(violations)


def test_the_dashboard_says_when_its_data_cannot_be_loaded(page, live_server, supervisor_city):
    sign_in(page, live_server, supervisor_city.username)
    page.route("**/supervision/efficiency/data/**", lambda route: route.fulfill(
        status=403, content_type="application/json",
        body='{"error": {"code": "permission_denied", "message": "会话已过期"}}'))

    page.goto(f"{live_server.url}/supervision/efficiency/")

    page.wait_for_function("document.getElementById('efficiency-status').textContent.includes('会话已过期')")
    assert "图表数据加载失败" in page.locator("#efficiency-status").inner_text()
