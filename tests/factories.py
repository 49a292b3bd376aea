"""Factories for users, units and memberships, and a builder for small test networks."""

from dataclasses import dataclass, field

import factory
from django.contrib.auth import get_user_model

from wagtail_distmark.models import Membership, OrgUnit


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("pw")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = Membership.Role.UNIT_MANAGER


def add_unit(parent: OrgUnit | None, name: str, code: str, kind: str, **profile) -> OrgUnit:
    unit = OrgUnit(name=name, code=code, kind=kind, **profile)
    if parent is None:
        return OrgUnit.add_root(instance=unit)
    parent.refresh_from_db()
    return parent.add_child(instance=unit)


@dataclass
class NetworkBuilder:
    units: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)

    def unit(self, key, parent_key, name, kind="unit", **profile):
        parent = self.units[parent_key] if parent_key else None
        self.units[key] = add_unit(parent, name, f"C-{key.upper()}", kind, **profile)
        return self.units[key]

    def member(self, username, unit_key, role):
        user = UserFactory(username=username)
        MembershipFactory(user=user, unit=self.units[unit_key], role=role)
        self.users[username] = user
        return user

    def fresh(self, username):
        """A new instance of the user, without any cached scope."""
        return get_user_model().objects.get(username=username)

    @classmethod
    def small(cls):
        net = cls()
        net.unit("hq", None, "HQ", kind="headquarters")
        net.unit("north", "hq", "North", kind="region")
        net.unit("south", "hq", "South", kind="region")
        net.unit("a", "north", "Store A", phone="+33 1 00 00 00 01")
        net.unit("b", "north", "Store B")
        net.unit("c", "south", "Store C")
        role = Membership.Role
        net.member("hq", "hq", role.HQ_ADMIN)
        net.member("regional_north", "north", role.REGIONAL_MANAGER)
        net.member("manager_a", "a", role.UNIT_MANAGER)
        net.member("editor_a", "a", role.UNIT_EDITOR)
        net.member("manager_c", "c", role.UNIT_MANAGER)
        net.users["outsider"] = UserFactory(username="outsider")
        for unit in net.units.values():
            unit.refresh_from_db()
        return net
