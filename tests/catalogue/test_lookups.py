"""The window's lookup of the version in force: kept a few seconds per process, never wrong for
long, and a copy per caller."""

import pytest

from portal.catalogue import services
from portal.catalogue.lookups import in_force_version, version_in_force

pytestmark = pytest.mark.django_db


def test_the_lookup_finds_the_version_in_force_and_gives_each_caller_its_own_copy(item_city):
    code = item_city.published_version.implementation_code

    first, second = in_force_version(code), in_force_version(code)

    assert first.pk == second.pk == item_city.published_version.pk
    assert first is not second
    first.name = "改过的名称"  # what one request does to its copy stays with it
    assert in_force_version(code).name == item_city.published_version.name


def test_an_unknown_code_is_none_and_not_remembered(item_city):
    assert in_force_version("no-such-code") is None


def test_a_new_publication_is_seen_at_once_in_the_publishing_process(item_city, admin_city,
                                                                     django_capture_on_commit_callbacks):
    code = item_city.published_version.implementation_code
    old = in_force_version(code)
    services.update_item(item_city, actor=admin_city, promised_limit=3)

    with django_capture_on_commit_callbacks(execute=True):
        new = services.publish_item(item_city, actor=admin_city)

    assert in_force_version(code).pk == new.pk != old.pk
    # and the filing's own check inside its transaction knows the old one is no longer in force
    assert version_in_force(new.pk) and not version_in_force(old.pk)
