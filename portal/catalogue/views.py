"""The public guide (办事指南) and the staff's scoped view of the catalogue's working copies."""

import mimetypes
from pathlib import PurePosixPath

from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render

from portal.catalogue.choices import (
    Audience,
    HandlingClass,
    ItemNature,
    MaterialForm,
    ServiceCategory,
    SpecialProcedure,
)
from portal.catalogue.models import Item, ItemVersion
from portal.organisation.models import Department
from portal.views import ScopedDetailView, ScopedListView

PAGE_SIZE = 20


def guide_list(request):
    """Search and filter the published items; HTMX requests get only the results fragment."""
    versions = ItemVersion.objects.in_force().select_related("department")
    query = request.GET.get("q", "").strip()[:100]
    if query:
        versions = versions.search(query)
    selected = {
        "department": request.GET.get("department", ""),
        "category": request.GET.get("category", ""),
        "audience": request.GET.get("audience", ""),
        "nature": request.GET.get("nature", ""),
    }
    if selected["department"].isdigit():
        versions = versions.filter(department_id=int(selected["department"]))
    if selected["category"] in ServiceCategory.values:
        versions = versions.filter(service_category=selected["category"])
    if selected["audience"] == Audience.CITIZEN:
        versions = versions.filter(for_citizens=True)
    elif selected["audience"] == Audience.ENTERPRISE:
        versions = versions.filter(for_enterprises=True)
    if selected["nature"] in ItemNature.values:
        versions = versions.filter(nature=selected["nature"])
    versions = versions.order_by("promised_limit", "implementation_code")
    page = Paginator(versions, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "query": query,
        "selected": selected,
        "departments": Department.objects.filter(pk__in=ItemVersion.objects.in_force().values("department")),
        "categories": ServiceCategory.choices,
        "audiences": Audience.choices,
        "natures": ItemNature.choices,
        "querystring": _querystring(request, exclude="page"),
    }
    template = "catalogue/_guide_results.html" if request.htmx else "catalogue/guide_list.html"
    return render(request, template, context)


def guide_detail(request, code: str):
    """One item's full guide, from its current published version (never the draft)."""
    version = get_object_or_404(ItemVersion.objects.current().select_related("department"), implementation_code=code)
    content = version.content
    context = {
        "version": version,
        "content": content,
        "materials": [
            {**material, "form_label": MaterialForm(material["form"]).label} for material in content["materials"]
        ],
        "special_procedures": [SpecialProcedure(code).label for code in content.get("special_procedures", [])],
        "handling_label": HandlingClass(version.handling_class).label,
        "nature_label": ItemNature(version.nature).label,
        "category_label": ServiceCategory(version.service_category).label,
    }
    return render(request, "catalogue/guide_detail.html", context)


def material_file(request, code: str, position: int, kind: str):
    """Download a material's blank form or sample as published (an attachment, never inline)."""
    version = get_object_or_404(ItemVersion.objects.current(), implementation_code=code)
    material = next((m for m in version.content["materials"] if m["position"] == position), None)
    if material is None or kind not in ("template", "sample") or not material.get(kind):
        raise Http404("没有该表格。")
    name = material[kind]
    if not default_storage.exists(name):
        raise Http404("表格文件缺失，请联系咨询电话。")
    extension = PurePosixPath(name).suffix
    label = "空白表格" if kind == "template" else "示例样表"
    filename = f"{material['name']}（{label}）{extension}"
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(default_storage.open(name, "rb"), as_attachment=True, filename=filename)
    response["Content-Type"] = content_type
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _querystring(request, *, exclude: str) -> str:
    params = request.GET.copy()
    params.pop(exclude, None)
    return params.urlencode()


class StaffItemList(ScopedListView):
    """The items (working copies) in the signed-in staff member's region scope."""

    model = Item
    template_name = "catalogue/staff_item_list.html"

    def get_queryset(self):
        return super().get_queryset().select_related("department", "published_version").order_by("implementation_code")


class StaffItemDetail(ScopedDetailView):
    model = Item
    template_name = "catalogue/staff_item_detail.html"
    context_object_name = "item"

    def get_queryset(self):
        return super().get_queryset().select_related("department__region", "published_version", "basic_item")
