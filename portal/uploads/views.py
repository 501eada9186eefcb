"""Downloading one's own uploads."""

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from portal.uploads.models import StoredFile
from portal.uploads.serving import serve_stored_file


@login_required
@require_safe
def download(request, pk: UUID):
    """The signed-in user's own upload as an attachment; any other file answers 404.

    Not 403: whether a file exists is itself not for others to learn. Staff reach applicants'
    files through the objects they are attached to, whose views apply the staff's scope.
    """
    stored_file = get_object_or_404(StoredFile.objects.owned_by(request.user), pk=pk)
    return serve_stored_file(stored_file)
