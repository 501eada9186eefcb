"""The OpenAPI schema: generated without a single warning, valid, and with stable enum names.

Departments' systems generate their clients from /api/schema/, so a choice set renamed by
drf-spectacular's collision handling (``Status10aEnum``) would silently break their builds.
"""

import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS


@pytest.fixture
def schema_file(tmp_path):
    return tmp_path / "schema.yml"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_schema_is_generated_with_warnings_as_failures_and_validates(schema_file, capsys, language):
    # Warnings are counted process-wide; earlier schema requests in this run must not count here.
    GENERATOR_STATS.reset()

    try:
        call_command("spectacular", "--validate", "--fail-on-warn", "--lang", language, "--file", str(schema_file))
    except Exception as error:  # the warnings themselves are on stderr: show them in the failure
        pytest.fail(f"{error!r}\n{capsys.readouterr().err}")

    assert "Warning" not in capsys.readouterr().err
    assert yaml.safe_load(schema_file.read_text())["openapi"].startswith("3.")


def test_every_choice_set_has_the_name_of_its_class(schema_file):
    GENERATOR_STATS.reset()
    call_command("spectacular", "--file", str(schema_file))
    schema = yaml.safe_load(schema_file.read_text())
    components = schema["components"]["schemas"]

    enums = {name for name, component in components.items() if "enum" in component}
    assert enums == {
        "ApplicationStatusEnum", "ChannelEnum", "StepKindEnum", "StepOutcomeEnum", "PauseReasonEnum",
        "DecisionOutcomeEnum", "ServiceMethodEnum", "MaterialStateEnum", "MaterialInputStateEnum",
        "LicenceStatusEnum", "SubjectTypeEnum", "DepartmentKindEnum", "RegionLevelEnum", "ItemNatureEnum",
        "ItemStatusEnum", "ItemLevelEnum", "HandlingClassEnum", "ServiceCategoryEnum", "BlankEnum",
        "SubCaseStatusEnum", "SubCaseOpinionEnum",
    }
    assert components["ApplicationStatusEnum"]["enum"] == [
        "draft", "submitted", "correction", "not_accepted", "in_progress", "approved", "refused", "concluded",
        "withdrawn", "terminated"]
    assert components["LicenceStatusEnum"]["enum"] == ["valid", "suspended", "revoked", "expired", "cancelled"]
    assert components["MaterialInputStateEnum"]["enum"] == ["provided", "missing", "deficient"]
    # The same choice set under two property names is one type: the case's current step is a step kind.
    application = components["ApplicationDetail"]["properties"]
    assert application["current_step"]["allOf"] == [{"$ref": "#/components/schemas/StepKindEnum"}]
    assert application["status"]["allOf"] == [{"$ref": "#/components/schemas/ApplicationStatusEnum"}]
    assert components["Step"]["properties"]["kind"]["allOf"] == [{"$ref": "#/components/schemas/StepKindEnum"}]
    assert components["DecisionOutput"]["properties"]["outcome"]["allOf"] == [
        {"$ref": "#/components/schemas/DecisionOutcomeEnum"}]
    assert components["Department"]["properties"]["kind"]["allOf"] == [
        {"$ref": "#/components/schemas/DepartmentKindEnum"}]
