"""Admin for the people who keep the calendar: correct a day, enter and publish a year.

Every save goes through ``portal.workdays.services`` so the ordinals, the audit trail and the
in-memory calendar stay right (STYLE.md: the admin's save hooks call the services). Both lists
warn while a year within the next two is unpublished (TIME_RULES.md §11).
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from portal.workdays import services
from portal.workdays.models import CalendarDay, CalendarYear
from portal.workdays.notices import add_missing_year_messages
from portal.workdays.schedule import package_covers, validate_day

_WEEKDAY_NAMES = "一二三四五六日"


class _MissingYearNoticeMixin:
    def changelist_view(self, request, extra_context=None):
        # Only on the page itself: after an action's redirect the notice is added there.
        if request.method == "GET":
            add_missing_year_messages(request)
        return super().changelist_view(request, extra_context)


class CalendarDayForm(forms.ModelForm):
    class Meta:
        model = CalendarDay
        fields = ["kind", "holiday_name"]

    def clean(self):
        cleaned = super().clean()
        try:
            validate_day(self.instance.date, cleaned.get("kind", ""), cleaned.get("holiday_name", "").strip())
        except ValidationError as error:
            raise ValidationError(error.messages) from error
        return cleaned


@admin.register(CalendarDay)
class CalendarDayAdmin(_MissingYearNoticeMixin, admin.ModelAdmin):
    form = CalendarDayForm
    date_hierarchy = "date"  # browse by year and month
    list_display = ["date", "weekday", "kind", "holiday_name", "is_working", "ordinal", "provisional"]
    list_filter = ["kind", "provisional", "is_working"]
    search_fields = ["holiday_name"]
    fields = ["date", "weekday", "kind", "holiday_name", "is_working", "ordinal", "provisional"]
    readonly_fields = ["date", "weekday", "is_working", "ordinal", "provisional"]
    list_per_page = 62

    @admin.display(description=_("星期"))
    def weekday(self, day: CalendarDay) -> str:
        return gettext("星期%(name)s") % {"name": _WEEKDAY_NAMES[day.date.weekday()]}

    def has_add_permission(self, request) -> bool:
        return False  # every date already has a row; later years come from seeding or publishing

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a gap in the table would break every deadline across it

    def save_model(self, request, obj, form, change):
        services.set_day(obj.date, kind=obj.kind, holiday_name=obj.holiday_name, actor=request.user)


@admin.register(CalendarYear)
class CalendarYearAdmin(_MissingYearNoticeMixin, admin.ModelAdmin):
    list_display = ["year", "status", "source", "published_at", "published_by"]
    list_filter = ["status"]
    readonly_fields = ["year", "status", "source", "published_at", "published_by", "revision"]
    actions = ["publish_selected_years"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("发布所选年度的节假日安排"), permissions=["change"])
    def publish_selected_years(self, request, queryset):
        """From the chinesecalendar package when it covers the year; otherwise the schedule as
        admins entered it day by day in the calendar-day list."""
        published = []
        for calendar_year in queryset.order_by("year"):
            year = calendar_year.year
            days = None if package_covers(year) else services.entered_schedule(year)
            try:
                services.publish_year(year, days=days, actor=request.user)
            except (ValidationError, PermissionDenied, ValueError) as error:
                message = "; ".join(getattr(error, "messages", [str(error)]))
                self.message_user(
                    request,
                    gettext("%(year)d 年未发布：%(error)s") % {"year": year, "error": message},
                    messages.ERROR,
                )
                continue
            published.append(year)
            if days is not None and not days:
                self.message_user(
                    request,
                    gettext("%(year)d 年按已录入的日历发布，但未录入任何节假日或调休，请核对。")
                    % {"year": year},
                    messages.WARNING,
                )
        if published:
            self.message_user(
                request,
                ngettext(
                    "已发布 %(years)s 年的节假日安排。", "已发布 %(years)s 年的节假日安排。", len(published)
                )
                % {"years": "、".join(str(year) for year in published)},
                messages.SUCCESS,
            )
