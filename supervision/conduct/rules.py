"""What each off-system processing rule (体外循环) measures, its parameters and their bounds, and
how a flag says what it found — written once, for the seed migration, the tuning form, the sweep
and the flag pages.

The queries themselves live in ``supervision.conduct.querysets`` (one set-based query per rule).
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from hashlib import sha256

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from supervision.conduct import querysets
from supervision.conduct.choices import RuleCode


@dataclass(frozen=True)
class Parameter:
    """One tunable figure of a rule: a whole number within bounds a supervisor can understand."""

    name: str
    label: str
    unit: str
    minimum: int
    maximum: int
    default: Callable[[], int]


@dataclass(frozen=True)
class RuleDefinition:
    code: str
    name: str
    description: str
    parameters: tuple[Parameter, ...]
    # The rule's query: the steps it flags, each annotated with its ``figures``.
    find: Callable[..., object]
    # A sentence with the figures, e.g. "受理时间比网上申报到达晚 6 个工作日（阈值 3）".
    explanation: str

    def defaults(self) -> dict[str, int]:
        return {parameter.name: parameter.default() for parameter in self.parameters}


def _constant(value: int) -> Callable[[], int]:
    return lambda: value


def _claimed_time_gap_default() -> int:
    # The platform's own limit for a claimed acting time (approvals.claimed_time), as a start.
    return int(settings.CLAIMED_TIME_GAP_LIMIT_MINUTES)


DEFINITIONS: dict[str, RuleDefinition] = {
    RuleCode.LATE_ONLINE_ACCEPTANCE: RuleDefinition(
        code=RuleCode.LATE_ONLINE_ACCEPTANCE,
        name="网上申报受理滞后",
        description=(
            "网上申报的材料到达后（收件日；非工作时间到达的，顺延到下一个工作日），窗口超过规定的工作日数"
            "才在系统中记录受理。受理记录得晚，办理时限就晚起算：常见于材料已在线下先行审查办理，"
            "事后才补录受理，以躲避时限监察。发出一次性告知的，从申请人提交补正材料之日起算；"
            "依法视为受理的不在此列。"
        ),
        parameters=(
            Parameter("working_days", "受理滞后阈值", "个工作日", 1, 30, _constant(3)),
        ),
        find=querysets.late_online_acceptances,
        explanation=_("受理时间比网上申报到达晚 %(working_days)s 个工作日（阈值 %(threshold)s）"),
    ),
    RuleCode.STEP_BURST: RuleDefinition(
        code=RuleCode.STEP_BURST,
        name="集中补录办理环节",
        description=(
            "同一工作人员在很短的时间内（规定分钟数内）对多个不同办件录入承办、审核或批准环节。"
            "正常审查一个办件需要阅读材料、写出意见，短时间内连续办完多个办件，"
            "常见于在系统外办完后集中到系统里补录。"
        ),
        parameters=(
            Parameter("steps", "办件数阈值", "件", 2, 100, _constant(5)),
            Parameter("minutes", "时间窗口", "分钟", 1, 600, _constant(10)),
        ),
        find=querysets.step_bursts,
        explanation=_("同一人员在 %(minutes)s 分钟内对 %(cases)s 个不同办件录入办理环节（阈值 %(threshold)s 件）"),
    ),
    RuleCode.SHORT_STEP: RuleDefinition(
        code=RuleCode.SHORT_STEP,
        name="环节用时过短",
        description=(
            "承办、审核、批准环节从认领到办理完毕所用时间少于规定秒数。这么短的时间里无法真正审查材料，"
            "往往说明实际审查在系统外完成，系统里只是事后点了“通过”。"
        ),
        parameters=(
            Parameter("seconds", "最短用时", "秒", 1, 3600, _constant(60)),
        ),
        find=querysets.short_steps,
        explanation=_("环节从认领到办理完毕仅用 %(seconds)s 秒（阈值 %(threshold)s 秒）"),
    ),
    RuleCode.LONG_STEP: RuleDefinition(
        code=RuleCode.LONG_STEP,
        name="环节用时过长",
        description=(
            "承办、审核、批准环节从认领到办理完毕超过规定的工作日数（期间办件暂停计时的不在此列）。"
            "认领后长时间不在系统中办理，可能是在系统外办理后才补录，也可能是办件被搁置。"
        ),
        parameters=(
            Parameter("working_days", "最长用时", "个工作日", 1, 60, _constant(10)),
        ),
        find=querysets.long_steps,
        explanation=_("环节从认领到办理完毕用了 %(working_days)s 个工作日（阈值 %(threshold)s 个工作日）"),
    ),
    RuleCode.CLAIMED_TIME_GAP: RuleDefinition(
        code=RuleCode.CLAIMED_TIME_GAP,
        name="声称办理时间与记录时间不符",
        description=(
            "部门系统通过接口报送环节时声称的办理时间，与平台记录的时间相差超过规定分钟数。"
            "两者对不上，说明办理发生在平台之外、事后才录入（录入时间与实际办理时间不同步）。"
            "默认值取平台对声称时间的限值（CLAIMED_TIME_GAP_LIMIT_MINUTES）。"
        ),
        parameters=(
            Parameter("minutes", "时间差阈值", "分钟", 1, 10080, _claimed_time_gap_default),
        ),
        find=querysets.claimed_time_gaps,
        explanation=_("声称办理时间与平台记录时间相差 %(minutes)s 分钟（阈值 %(threshold)s 分钟）"),
    ),
}


def definition_of(code: str) -> RuleDefinition:
    return DEFINITIONS[code]


def clean_parameters(code: str, values: Mapping[str, object]) -> dict[str, int]:
    """The rule's parameters from ``values``, each a whole number within its bounds; otherwise a
    ValidationError naming each bad parameter in Chinese. Unknown names are refused too."""
    definition = definition_of(code)
    known = {parameter.name for parameter in definition.parameters}
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(values) - known)
    if unknown:
        errors["__all__"] = [f"该规则没有参数“{unknown[0]}”。"]
    cleaned: dict[str, int] = {}
    for parameter in definition.parameters:
        raw = values.get(parameter.name)
        bounds = f"“{parameter.label}”应为 {parameter.minimum} 至 {parameter.maximum} 之间的整数（单位：{parameter.unit}）。"
        if raw is None or raw == "" or isinstance(raw, bool):
            errors[parameter.name] = [f"请填写“{parameter.label}”。" if raw in (None, "") else bounds]
            continue
        try:
            number = int(str(raw).strip())
        except ValueError:
            errors[parameter.name] = [bounds]
            continue
        if not parameter.minimum <= number <= parameter.maximum:
            errors[parameter.name] = [bounds]
            continue
        cleaned[parameter.name] = number
    if errors:
        raise ValidationError(errors)
    return cleaned


def effective_parameters(code: str, stored: Mapping[str, object]) -> dict[str, int]:
    """The stored values, with the defaults of parameters added to the rule after it was stored."""
    return {**definition_of(code).defaults(), **{k: v for k, v in stored.items() if v is not None}}


def parameters_hash(parameters: Mapping[str, object]) -> str:
    """A short fingerprint of the parameters: flags are unique per rule, step and fingerprint."""
    canonical = json.dumps(dict(parameters), sort_keys=True, separators=(",", ":"))
    return sha256(canonical.encode("utf-8")).hexdigest()[:16]


def explain(code: str, figures: Mapping[str, object]) -> str:
    """The flag's sentence with its figures; a figure missing from old rows shows as "?"."""
    template = str(definition_of(code).explanation)  # translated into the active language

    class _Figures(dict):
        def __missing__(self, key):
            return "?"

    return template % _Figures(figures)
