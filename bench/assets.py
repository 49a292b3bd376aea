"""Benchmark of the content library: Wagtail's image index and image chooser for org members.

Run from the repository root (not part of the test suite)::

    .venv/bin/python bench/assets.py [--db sqlite|postgres|both] [--sizes 100,1000,10000]

For each database and network size it bulk-creates the org tree of ``bench/scope.py`` (head
office, regions down to depth 5, stores at depth 6), one upload collection per unit mirroring
the tree (as the plugin's signal would), a brand library of five collections, five images per
unit (50,000 at 10,000 units) with their thumbnails, and then measures the SQL query count and
median time of ``GET /admin/images/`` and of the image chooser for:

* a unit manager of one store (the org approach: one ``Membership``);
* a user with the same rights the classic Wagtail way: one ``Group`` per store with its
  ``GroupCollectionPermission`` rows (so 8,445 groups at 10,000 units), no membership;
* an HQ admin (``hq_admin`` membership on the head office) and a Wagtail superuser.

The query counts must not depend on the size of the network and the pages must show the
right number of images: the script exits with status 1 if they do not.

Each database is benchmarked in its own subprocess (Django is set up once per process), on a
throwaway SQLite file or on a PostgreSQL database created, and dropped, by the script.
"""

from __future__ import annotations

import argparse
import datetime
import difflib
import gc
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.scope import (  # noqa: E402 (after the path set-up)
    ALPHABET,
    EXAMPLE_SITE_DIR,
    MAX_DEPTH,
    SETTINGS_MODULE,
    STEPLEN,
    NodeSpec,
    bench_parser,
    log,
    parse_checked,
    plan_tree,
    query_lines,
    shape,
    step,
    throwaway_database,
    timed_queries,
)

DEFAULT_PG_DB = "distmark_bench_assets"

IMAGES_PER_UNIT = 5
#: One image in 25 is in the brand library (2,000 of 50,000), the others in the stores'.
BRAND_SHARE = 25
THUMBNAIL = "max-165x165"  # the filter of the index's and the chooser's thumbnails
TARGET_MS = 100.0
TARGET_SIZE = 10_000
BACKGROUND_USERS = 300
SEED = 20261123

#: The brand library: (name, audience) with audience "all" (the whole network), "mine" (the
#: measured store's depth-2 region) or "other" (another depth-2 region).
BRAND_COLLECTIONS = (
    ("Brand 1 Campaigns", "all"),
    ("Brand 2 Logos", "all"),
    ("Brand 3 Products", "all"),
    ("Brand 4 Regional (mine)", "mine"),
    ("Brand 5 Regional (other)", "other"),
)

#: The measured users: (label, approach, what they are).
SUBJECTS = (
    ("unit_mgr", "org", "unit_manager membership on one store"),
    ("classic", "classic", "member of that store's Wagtail group only"),
    ("hq_admin", "org", "hq_admin membership on the head office"),
    ("superuser", "wagtail", "Wagtail superuser, no membership"),
)
VIEWS = ("index", "chooser")
URL_NAMES = {"index": "wagtailimages:index", "chooser": "wagtailimages_chooser:choose"}
#: Which pages are held to TARGET_MS (median) on PostgreSQL at TARGET_SIZE units.
TARGET_SUBJECTS = ("hq_admin",)
#: The page whose org/classic ratio (unit_mgr's median / classic's) must be at most 1 there.
RATIO_TARGET_VIEW = "chooser"


@dataclass
class Row:
    """One line of the result table: one user, one view, one size."""

    db: str
    units: int
    images: int
    groups: int
    user: str
    approach: str
    view: str
    queries: int | str
    median_ms: float
    min_ms: float
    sql_ms: float
    cpu_ms: float  # median CPU time of this process (the database server's not included)
    shown: int
    expected: int
    page_ok: bool
    options: int  # <option>s in the page's collection <select>s (filter, upload form)
    sql: list[str] = field(default_factory=list)


# --- Django and the data -------------------------------------------------------------------


def setup_django(url: str, media_root: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    for directory in (EXAMPLE_SITE_DIR, REPO_ROOT):
        if str(directory) not in sys.path:
            sys.path.insert(0, str(directory))

    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    settings.MEDIA_ROOT = media_root  # nothing is written there; never the example site's
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    log(f"migrated in {time.perf_counter() - started:.1f} s")


@dataclass
class Network:
    """What was built for one size, and what each measured page should list."""

    size: int
    images: int
    groups: int
    #: (user label, view) -> number of images the page should list.
    expected: dict[tuple[str, str], int]
    #: (user label, view) -> the ids of the images the page may list (None: any).
    allowed: dict[tuple[str, str], set[int] | None]


@dataclass
class Placement:
    """One image: its collection and the usage rights it gets ("current", "expired",
    "not_begun", or None for no rights row)."""

    collection_id: int
    rights: str | None
    image_id: int = 0

    @property
    def choosable(self) -> bool:
        """Whether units' choosers show it (HQ sees every image)."""
        return self.rights in (None, "current")


def unit_names(nodes: list[NodeSpec]) -> dict[str, tuple[str, str]]:
    """(name, code) per org path. Fixed-width numbers, so that sorting by name gives the same
    order in Python as in any database collation (Collection siblings are sorted by name)."""
    counters = {"headquarters": 0, "region": 0, "unit": 0}
    names = {}
    for node in nodes:
        counters[node.kind] += 1
        number = counters[node.kind]
        names[node.path] = {
            "headquarters": ("Head office", "HQ"),
            "region": (f"Region {number:05d}", f"R{number:05d}"),
            "unit": (f"Store {number:05d}", f"S{number:05d}"),
        }[node.kind]
    return names


def plan_collection_paths(
    nodes: list[NodeSpec], collection_names: dict[str, str], top: str
) -> dict[str, str]:
    """The path of each unit's collection: the org tree again, below ``top`` (the head
    office's collection), with siblings in name order as ``Collection.node_order_by`` asks."""
    children: dict[str, list[str]] = {}
    for node in nodes[1:]:
        children.setdefault(node.path[:-STEPLEN], []).append(node.path)
    paths = {nodes[0].path: top}
    for node in nodes:  # parents come before their children in plan_tree's list
        ordered = sorted(children.get(node.path, ()), key=collection_names.__getitem__)
        for position, child in enumerate(ordered, 1):
            paths[child] = paths[node.path] + step(position)
    return paths


def plan_images(
    total: int, store_collections: list[int], brand_collections: list[int]
) -> list[Placement]:
    """``total`` images: one in BRAND_SHARE in the brand collections (in turn), the others
    spread over the stores' collections. Usage rights: each store's first image has current
    dates, its second has expired; in the brand library one image in twenty has expired and
    one in twenty has not begun."""
    brand_count = total // BRAND_SHARE
    placements = [
        Placement(
            brand_collections[i % len(brand_collections)],
            {0: "expired", 1: "not_begun"}.get(i // len(brand_collections) % 20),
        )
        for i in range(brand_count)
    ]
    per_store = [0] * len(store_collections)
    for i in range(total - brand_count):
        index = i % len(store_collections)
        rights = {0: "current", 1: "expired"}.get(per_store[index])
        placements.append(Placement(store_collections[index], rights))
        per_store[index] += 1
    return placements


class Bench:
    def __init__(self, db: str, runs: int, show_queries: bool, explain: bool):
        self.db = db
        self.runs = runs
        self.show_queries = show_queries
        self.explain = explain

    def run(self, sizes: list[int]) -> list[Row]:
        from django.db import connection

        log(f"{self.db}: {connection.vendor} {connection.get_database_version()}")
        self.user_ids = self.create_users()
        rows = []
        for size in sizes:
            rows.extend(self.run_size(size, largest=size == sizes[-1]))
        return rows

    def create_users(self) -> dict[str, int]:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.hashers import make_password

        user_model = get_user_model()
        password = make_password("bench-password")
        names = [label for label, _approach, _what in SUBJECTS]
        names += [f"bench_user_{i:03d}" for i in range(BACKGROUND_USERS)]
        user_model.objects.bulk_create(
            user_model(
                username=name,
                email=f"{name}@bench.example",
                password=password,
                is_superuser=name == "superuser",
                is_staff=name == "superuser",
            )
            for name in names
        )
        return dict(user_model.objects.filter(username__in=names).values_list("username", "pk"))

    # Data

    def clear(self) -> None:
        """Delete the previous size's network. The images go by plain DELETEs (no signals,
        no collecting of 50,000 objects to cascade); Wagtail's own groups stay."""
        from django.contrib.auth.models import Group
        from django.db import connection, transaction
        from wagtail.images import get_image_model
        from wagtail.models import Collection, GroupCollectionPermission

        from wagtail_distmark.models import BrandCollection, ImageUsageRights, Membership, OrgUnit

        image_model = get_image_model()
        store_groups = Group.objects.filter(name__startswith="Store ", name__endswith=" editors")
        with transaction.atomic():
            with connection.cursor() as cursor:  # every row of these is the bench's own
                for model in (image_model.get_rendition_model(), ImageUsageRights, image_model):
                    table = connection.ops.quote_name(model._meta.db_table)
                    cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (a model's table)
            GroupCollectionPermission.objects.filter(group__in=store_groups).delete()
            Group.permissions.through.objects.filter(group__in=store_groups).delete()
            Group.user_set.through.objects.filter(group__in=store_groups).delete()
            store_groups.delete()
            BrandCollection.objects.all().delete()
            Membership.objects.all().delete()
            OrgUnit.objects.all().delete()
            Collection.objects.filter(depth__gt=1).delete()
            Collection.objects.filter(depth=1).update(numchild=0)

    def build(self, size: int, rng: random.Random) -> Network:
        """Replace the network with one of ``size`` units, its collections, images, groups
        and memberships; return what each measured page should list."""
        from django.db import connection

        from wagtail_distmark.models import OrgUnit

        started = time.perf_counter()
        self.clear()
        nodes = plan_tree(size)
        self.build_units(nodes)
        units = OrgUnit.objects.order_by("path")
        self.store = units.filter(depth=MAX_DEPTH).last()  # the measured store
        brands = self.build_brand_library(units)
        self.verify_collections(size, check_with_treebeard=size <= 1000)
        stores = list(units.filter(kind=OrgUnit.Kind.UNIT).only("pk", "path", "code",
                                                               "collection_id"))  # fmt: skip
        placements = self.build_images(
            plan_images(
                IMAGES_PER_UNIT * size,
                [store.collection_id for store in stores],
                [brand.pk for brand, _audience in brands],
            ),
            rng,
        )
        groups, permissions = self.build_groups(stores, brands)
        self.build_memberships(units, stores, groups, rng)
        with connection.cursor() as cursor:  # fresh statistics, as autovacuum would give
            cursor.execute("ANALYZE")

        # What each page should list, from the plan above (not from the policy).
        visible_brands = {
            brand.pk
            for brand, audience in brands
            if not audience or self.store.path.startswith(audience[0].path)
        }
        mine = {p.image_id for p in placements if p.collection_id == self.store.collection_id}
        usable = {  # the store's images and those of the brand collections it may use
            p.image_id
            for p in placements
            if p.collection_id in visible_brands or p.image_id in mine
        }
        current = {p.image_id for p in placements if p.image_id in usable and p.choosable}
        # Usage rights hide files from the choosers of the network's members, not from HQ,
        # superusers or users outside the network (Wagtail's group permissions only).
        # A member's image index lists the files they may change and, read-only, those they
        # may choose (the brand library while its rights hold: library/files.visible_files).
        allowed = {
            ("unit_mgr", "index"): mine | current,
            ("unit_mgr", "chooser"): current,
            ("classic", "index"): mine,
            ("classic", "chooser"): usable,
        }
        expected = {}
        for label, view in [(label, view) for label, _a, _w in SUBJECTS for view in VIEWS]:
            allowed.setdefault((label, view), None)  # HQ and superuser: every image
            ids = allowed[label, view]
            expected[label, view] = len(placements) if ids is None else len(ids)
        brand_count = sum(p.collection_id in {b.pk for b, _a in brands} for p in placements)
        log(
            f"{self.db}: {size} units ({shape(nodes)}), {len(placements)} images "
            f"({brand_count} in the brand library; the measured store has {len(mine)}, may use "
            f"{len(usable)}, {len(current)} current), {len(groups)} groups with "
            f"{permissions} collection permissions, built in {time.perf_counter() - started:.1f} s"
        )
        return Network(size, len(placements), len(groups), expected, allowed)

    def build_units(self, nodes: list[NodeSpec]) -> None:
        """The org units and their upload collections, bulk-created: what the plugin's
        post_save signal would make one by one (a collection per unit, named after it, the
        child of its parent unit's collection; the head office's below Wagtail's root)."""
        from django.db import transaction
        from wagtail.models import Collection

        from wagtail_distmark.library.collections import brand_library_root, unit_collection_name
        from wagtail_distmark.models import OrgUnit

        names = unit_names(nodes)
        collection_names = {
            path: unit_collection_name(OrgUnit(name=name, code=code))
            for path, (name, code) in names.items()
        }
        with transaction.atomic():
            # The brand library first: "Brand library" sorts before "Head office (HQ)".
            root = Collection.get_first_root_node()
            assert brand_library_root().path == root.path + step(1)
            top = root.path + step(2)
            collection_paths = plan_collection_paths(nodes, collection_names, top)
            Collection.objects.bulk_create(
                (
                    Collection(
                        path=collection_paths[node.path],
                        depth=node.depth + 1,
                        numchild=node.numchild,
                        name=collection_names[node.path],
                    )
                    for node in nodes
                ),
                batch_size=1000,
            )
            Collection.objects.filter(pk=root.pk).update(numchild=2)
            collection_ids = dict(
                Collection.objects.filter(path__startswith=top).values_list("path", "pk")
            )
            OrgUnit.objects.bulk_create(
                (
                    OrgUnit(
                        path=node.path,
                        depth=node.depth,
                        numchild=node.numchild,
                        name=names[node.path][0],
                        code=names[node.path][1],
                        kind=node.kind,
                        collection_id=collection_ids[collection_paths[node.path]],
                    )
                    for node in nodes
                ),
                batch_size=1000,
            )

    def build_brand_library(self, units) -> list[tuple[object, object]]:
        """The brand collections of BRAND_COLLECTIONS, made with the plugin's own function;
        returns (collection, audience): the units it is limited to, none for the network."""
        from wagtail_distmark.library.collections import add_brand_collection

        my_region = units.get(path=self.store.path[: 2 * STEPLEN])
        other_region = units.filter(depth=2).exclude(pk=my_region.pk).first()
        audiences = {"all": [], "mine": [my_region], "other": [other_region]}
        brands = []
        for name, audience in BRAND_COLLECTIONS:
            collection = add_brand_collection(name, units=audiences[audience])
            brands.append((collection, audiences[audience]))
        return brands

    def build_images(self, placements: list[Placement], rng: random.Random) -> list[Placement]:
        """Image rows (no files), each with its thumbnail's rendition row, and usage rights."""
        from django.db import transaction
        from django.utils import timezone
        from wagtail.images import get_image_model

        from wagtail_distmark.models import ImageUsageRights

        image_model = get_image_model()
        rendition_model = image_model.get_rendition_model()
        uploaders = [self.user_ids[f"bench_user_{i:03d}"] for i in range(10)]
        today = timezone.localdate()
        past, future = today - datetime.timedelta(days=30), today + datetime.timedelta(days=30)
        dates = {"current": (past, future), "expired": (None, past), "not_begun": (future, None)}
        with transaction.atomic():
            image_model.objects.bulk_create(
                (
                    image_model(
                        title=f"Bench image {i:06d}",
                        file=f"original_images/bench-{i:06d}.jpg",
                        width=1600,
                        height=1200,
                        file_size=250_000,
                        file_hash=f"{i:040x}",
                        collection_id=placement.collection_id,
                        uploaded_by_user_id=rng.choice(uploaders),
                    )
                    for i, placement in enumerate(placements)
                ),
                batch_size=2000,
            )
            ids = list(image_model.objects.order_by("pk").values_list("pk", flat=True))
            assert len(ids) == len(placements), (len(ids), len(placements))
            for image_id, placement in zip(ids, placements, strict=True):
                placement.image_id = image_id
            rendition_model.objects.bulk_create(
                (
                    rendition_model(
                        image_id=image_id,
                        filter_spec=THUMBNAIL,
                        file=f"images/bench-{i:06d}.{THUMBNAIL}.jpg",
                        width=165,
                        height=124,
                        focal_point_key="",
                    )
                    for i, image_id in enumerate(ids)
                ),
                batch_size=2000,
            )
            ImageUsageRights.objects.bulk_create(
                (
                    ImageUsageRights(
                        image_id=p.image_id,
                        starts_on=dates[p.rights][0],
                        expires_on=dates[p.rights][1],
                    )
                    for p in placements
                    if p.rights is not None
                ),
                batch_size=2000,
            )
        return placements

    def build_groups(self, stores: list, brands: list) -> tuple[dict[str, int], int]:
        """The classic approach: one Wagtail group per store, with access to the admin and
        GroupCollectionPermissions: add, change and choose_image on the store's collection,
        choose_image on each brand collection the store may use. Returns the groups' ids by
        name and the number of collection permissions."""
        from django.contrib.auth.models import Group, Permission
        from django.db import transaction
        from wagtail.models import GroupCollectionPermission

        perms = {
            p.codename: p
            for p in Permission.objects.filter(
                content_type__app_label__in=("wagtailimages", "wagtailadmin"),
                codename__in=("add_image", "change_image", "choose_image", "access_admin"),
            )
        }
        with transaction.atomic():
            Group.objects.bulk_create(
                (Group(name=f"Store {store.code} editors") for store in stores), batch_size=1000
            )
            groups = dict(
                Group.objects.filter(name__startswith="Store ", name__endswith=" editors")
                .values_list("name", "pk")
            )  # fmt: skip
            rows = []
            for store in stores:
                group_id = groups[f"Store {store.code} editors"]
                for codename in ("add_image", "change_image", "choose_image"):
                    rows.append((group_id, store.collection_id, perms[codename]))
                for brand, audience in brands:
                    if not audience or store.path.startswith(audience[0].path):
                        rows.append((group_id, brand.pk, perms["choose_image"]))
            GroupCollectionPermission.objects.bulk_create(
                (
                    GroupCollectionPermission(group_id=g, collection_id=c, permission=p)
                    for g, c, p in rows
                ),
                batch_size=2000,
            )
            Group.permissions.through.objects.bulk_create(
                (
                    Group.permissions.through(group_id=pk, permission_id=perms["access_admin"].pk)
                    for pk in groups.values()
                ),
                batch_size=2000,
            )
        return groups, len(rows)

    def build_memberships(self, units, stores: list, groups: dict[str, int], rng) -> None:
        """The subjects' memberships and group, and background users: half of them org
        members (regional managers, unit managers and editors), half in a random store's
        group."""
        from django.contrib.auth.models import Group
        from django.db import transaction

        from wagtail_distmark.models import Membership, OrgUnit

        role = Membership.Role
        memberships = [
            Membership(user_id=self.user_ids["unit_mgr"], unit=self.store, role=role.UNIT_MANAGER),
            Membership(user_id=self.user_ids["hq_admin"], unit=units.first(), role=role.HQ_ADMIN),
        ]
        in_groups = [(self.user_ids["classic"], groups[f"Store {self.store.code} editors"])]
        regions = list(units.filter(kind=OrgUnit.Kind.REGION).values_list("pk", flat=True))
        group_ids = list(groups.values())
        for i in range(BACKGROUND_USERS):
            user_id = self.user_ids[f"bench_user_{i:03d}"]
            if i % 2:
                in_groups.append((user_id, rng.choice(group_ids)))
                continue
            draw = rng.random()
            if draw < 0.1:
                grant, unit_id = role.REGIONAL_MANAGER, rng.choice(regions)
            else:
                grant = role.UNIT_MANAGER if draw < 0.55 else role.UNIT_EDITOR
                unit_id = rng.choice(stores).pk
            memberships.append(Membership(user_id=user_id, unit_id=unit_id, role=grant))
        with transaction.atomic():
            Membership.objects.bulk_create(memberships)
            Group.user_set.through.objects.bulk_create(
                Group.user_set.through(user_id=user_id, group_id=group_id)
                for user_id, group_id in in_groups
            )

    def verify_collections(self, size: int, check_with_treebeard: bool) -> None:
        """Each unit's collection is the child of its parent unit's (the head office's, of the
        root), siblings are in name order, paths, depths and numchild are consistent."""
        from wagtail.models import Collection

        from wagtail_distmark.models import OrgUnit

        rows = list(Collection.objects.values_list("path", "depth", "numchild", "name"))
        by_path = {path: (depth, numchild, name) for path, depth, numchild, name in rows}
        children: dict[str, list[str]] = {}
        for path, depth, _numchild, _name in rows:
            assert len(path) == depth * STEPLEN and set(path) <= set(ALPHABET), path
            if depth > 1:
                assert path[:-STEPLEN] in by_path, f"orphan collection {path}"
                children.setdefault(path[:-STEPLEN], []).append(path)
        for path, (_depth, numchild, _name) in by_path.items():
            siblings = sorted(children.get(path, ()))
            assert numchild == len(siblings), f"numchild of collection {path}"
            names = [by_path[sibling][2] for sibling in siblings]
            assert names == sorted(names), f"children of collection {path} not in name order"
        collection_of = dict(OrgUnit.objects.values_list("path", "collection__path"))
        assert len(collection_of) == size and None not in collection_of.values()
        root = Collection.get_first_root_node().path
        for path, collection_path in collection_of.items():
            parent = collection_of[path[:-STEPLEN]] if len(path) > STEPLEN else root
            assert collection_path[:-STEPLEN] == parent, (path, collection_path, parent)
        if check_with_treebeard:
            assert not any(Collection.find_problems()), Collection.find_problems()
            assert not any(OrgUnit.find_problems()), OrgUnit.find_problems()

    # Measurements

    def run_size(self, size: int, largest: bool) -> list[Row]:
        from django.contrib.auth import get_user_model
        from django.test import Client
        from django.urls import reverse

        network = self.build(size, random.Random(SEED + size))
        user_model = get_user_model()
        rows = []
        for label, approach, _what in SUBJECTS:
            client = Client()
            client.force_login(
                user_model.objects.get(pk=self.user_ids[label]),
                backend="django.contrib.auth.backends.ModelBackend",
            )
            for view in VIEWS:
                url = reverse(URL_NAMES[view])

                def get(client=client, url=url, label=label):
                    response = client.get(url)
                    assert response.status_code == 200, (label, url, response.status_code)
                    return response

                result = measure(self.runs, get)
                shown, page_ok, options = check_page(
                    view, result.result, network.expected[label, view], network.allowed[label, view]
                )
                row = Row(
                    db=self.db,
                    units=size,
                    images=network.images,
                    groups=network.groups,
                    user=label,
                    approach=approach,
                    view=view,
                    queries=result.queries,
                    median_ms=result.median_ms,
                    min_ms=result.min_ms,
                    sql_ms=result.sql_ms,
                    cpu_ms=result.cpu_ms,
                    shown=shown,
                    expected=network.expected[label, view],
                    page_ok=page_ok,
                    options=options,
                    sql=result.sql,
                )
                rows.append(row)
                log(
                    f"{self.db}: {size} units, {label} {view}: {row.queries} queries, "
                    f"{row.median_ms:.1f} ms, {shown} images (expected {row.expected})"
                )
                slow = (
                    (self.db, size) == ("postgres", TARGET_SIZE)
                    and label in TARGET_SUBJECTS
                    and row.median_ms >= TARGET_MS
                )
                if (self.show_queries and largest) or slow:
                    reason = "over the target" if slow else "--show-queries"
                    title = f"{self.db}, {size} units, {label}, {view} ({reason})"
                    log_queries(title, url, get, explain=self.explain)
        return rows


# --- Measuring -----------------------------------------------------------------------------


@dataclass
class Measure:
    queries: int | str  # an int, or "min..max" should the count vary between runs
    median_ms: float
    min_ms: float
    sql_ms: float  # median time spent inside cursor.execute()
    result: object
    sql: list[str]
    cpu_ms: float = 0.0  # median CPU time of this process


def measure(runs: int, action: Callable) -> Measure:
    """As ``bench/scope.py``: one warm-up run, one run under ``CaptureQueriesContext`` (its
    SQL is kept), then ``runs`` timed runs without the debug cursor, their queries counted
    (to check that the count holds) and timed by a bare execute wrapper."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    action()
    with CaptureQueriesContext(connection) as captured:
        action()
    counts = {len(captured.captured_queries)}

    times, sql_times, cpu_times, result = [], [], [], None
    gc.collect()
    for _ in range(runs):
        executed = []

        def count(execute, sql, params, many, context, executed=executed):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                executed.append(time.perf_counter() - started)

        with connection.execute_wrapper(count):
            started, cpu_started = time.perf_counter(), time.process_time()
            result = action()
            times.append(time.perf_counter() - started)
            cpu_times.append(time.process_time() - cpu_started)
        counts.add(len(executed))
        sql_times.append(sum(executed))
    queries = counts.pop() if len(counts) == 1 else f"{min(counts)}..{max(counts)}"
    return Measure(
        queries,
        statistics.median(times) * 1000,
        min(times) * 1000,
        statistics.median(sql_times) * 1000,
        result,
        [query["sql"] for query in captured.captured_queries],
        statistics.median(cpu_times) * 1000,
    )


PAGE_SIZES = {"index": 30, "chooser": 20}  # Wagtail's defaults (WAGTAIL*_PAGE_SIZE)
LINKS = {
    "index": r'href="/admin/images/(\d+)/',
    "chooser": r'href="/admin/images/chooser/chosen/(\d+)/',
}


def check_page(
    view: str, response, expected: int, allowed: set[int] | None
) -> tuple[int, bool, int]:
    """The number of images the page says it lists ("N images" below the pagination, -1 if
    missing), and whether its first page is right: as many images as it should have, each
    one that the user may see, each with its stored thumbnail (not Wagtail's "not-found"
    placeholder for a rendition it could not make). Also: how many collections the page
    offers in its collection menus."""
    html = json.loads(response.content)["html"] if view == "chooser" else response.content.decode()
    match = re.search(r'class="pagination__end">\s*([\d,]+) images?\s*<', html)
    shown = int(match.group(1).replace(",", "")) if match else -1
    listed = {int(pk) for pk in re.findall(LINKS[view], html)}
    thumbnails = len(re.findall(rf'src="[^"]*/bench-\d{{6}}\.{THUMBNAIL}\.jpg"', html))
    page = min(expected, PAGE_SIZES[view])
    # A brand file a member may only use is listed read-only in the index: no edit link, so
    # the index is judged by its thumbnails; the linked ones must still be allowed.
    linked_ok = len(listed) == page or (view == "index" and len(listed) <= page)
    ok = (
        linked_ok
        and thumbnails == page
        and 'src="/media/not-found"' not in html
        and (allowed is None or listed <= allowed)
    )
    selects = re.findall(r'<select[^>]*name="[^"]*collection[^"]*"[^>]*>(.*?)</select>', html, re.S)
    return shown, ok, sum(select.count("<option") for select in selects)


def log_queries(title: str, url: str, request: Callable, explain: bool = False) -> None:
    """Log each SQL query of ``request()`` with its own time, and the SQL share of the total;
    with ``explain`` (PostgreSQL), the ``EXPLAIN ANALYZE`` of its slowest SELECT."""
    from django.db import connection

    queries, total = timed_queries(request)
    lines = query_lines(title, url, queries, total, width=400)
    selects = [
        (duration, number, sql)
        for number, (sql, duration) in enumerate(queries, 1)
        if sql.startswith("SELECT")
    ]
    if explain and connection.vendor == "postgresql" and selects:
        _duration, number, sql = max(selects)
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            lines.append(f"  EXPLAIN ANALYZE of query {number}:")
            lines.extend(f"    {row[0]}" for row in cursor.fetchall())
    print("\n".join(lines) + "\n", file=sys.stderr, flush=True)


def run_worker(args: argparse.Namespace) -> None:
    """Benchmark one database, in this process; write the rows as JSON."""
    media_root = tempfile.mkdtemp(prefix="distmark-bench-media-")
    try:
        with throwaway_database(args.db, args.pg_url, args.pg_db) as url:
            setup_django(url, media_root)
            from django.db import connections

            try:
                rows = Bench(args.db, args.runs, args.show_queries, args.explain).run(args.sizes)
            finally:
                connections.close_all()
    finally:
        shutil.rmtree(media_root, ignore_errors=True)
    Path(args.worker_output).write_text(json.dumps([asdict(row) for row in rows]))


# --- Report --------------------------------------------------------------------------------

COLUMNS = (
    ("db", "db", "{}"),
    ("units", "units", "{}"),
    ("images", "images", "{}"),
    ("user", "user", "{}"),
    ("view", "view", "{}"),
    ("queries", "queries", "{}"),
    ("median_ms", "median ms", "{:.1f}"),
    ("min_ms", "min ms", "{:.1f}"),
    ("sql_ms", "SQL ms", "{:.1f}"),
    ("cpu_ms", "CPU ms", "{:.1f}"),
    ("shown", "shown", "{}"),
    ("expected", "expected", "{}"),
    ("options", "collection options", "{}"),
)
LEFT_ALIGNED = {"db", "user", "view"}


def print_table(columns, rows, key=None) -> None:
    """Columns: (attribute or callable, title, format); a blank line when ``key`` changes."""

    def value(row, attribute):
        return attribute(row) if callable(attribute) else getattr(row, attribute)

    cells = [[fmt.format(value(row, attr)) for attr, _title, fmt in columns] for row in rows]
    titles = [title for _attr, title, _fmt in columns]
    widths = [max(len(line[i]) for line in [titles, *cells]) for i in range(len(columns))]

    def line(values: list[str]) -> str:
        return "  ".join(
            v.ljust(w) if columns[i][0] in LEFT_ALIGNED else v.rjust(w)
            for i, (v, w) in enumerate(zip(values, widths, strict=True))
        ).rstrip()

    print(line(titles))
    print("  ".join("-" * width for width in widths))
    previous = None
    for row, values in zip(rows, cells, strict=True):
        if key is not None and previous is not None and key(row) != previous:
            print()
        previous = key(row) if key is not None else None
        print(line(values))


@dataclass
class Ratio:
    db: str
    units: int
    view: str
    org_q: int | str
    classic_q: int | str
    org_ms: float
    classic_ms: float

    @property
    def ratio(self) -> float:
        return self.org_ms / self.classic_ms


def ratios(rows: list[Row]) -> list[Ratio]:
    found = {(r.db, r.units, r.view, r.user): r for r in rows}
    result = []
    for (db, units, view, user), org in found.items():
        classic = found.get((db, units, view, "classic"))
        if user == "unit_mgr" and classic is not None:
            result.append(
                Ratio(db, units, view, org.queries, classic.queries, org.median_ms,
                      classic.median_ms)
            )  # fmt: skip
    return result


def normalised(sql: str) -> str:
    """The query without its values, to compare queries across sizes."""
    sql = re.sub(r"'(?:[^']|'')*'", "'…'", sql)
    return re.sub(r"\b\d+\b", "N", sql)


def groups(rows: list[Row], dbs: list[str]):
    """The rows of each (database, user, view), in the order of the tables."""
    for db in dbs:
        for label, _approach, _what in SUBJECTS:
            for view in VIEWS:
                group = [r for r in rows if (r.db, r.user, r.view) == (db, label, view)]
                if group:
                    yield db, label, view, group


def target_verdict(row: Row, classic: Row | None) -> str:
    """PASS or MISS for a page with a target, where targets are set; else "info"."""
    if (row.db, row.units) != ("postgres", TARGET_SIZE):
        return "info"
    if row.user in TARGET_SUBJECTS:
        return "PASS" if row.median_ms < TARGET_MS else "MISS"
    if (row.user, row.view) == ("unit_mgr", RATIO_TARGET_VIEW) and classic is not None:
        return "PASS" if row.median_ms <= classic.median_ms else "MISS"
    return "info"


def print_summary(rows: list[Row], sizes: list[int]) -> bool:
    """Print the checks; True if the query counts are independent of size and every page
    lists the expected number of images."""
    dbs = list(dict.fromkeys(row.db for row in rows))
    counts_ok = True
    print(f"\nQuery counts across sizes {sizes}:")
    for db, label, view, group in groups(rows, dbs):
        found = {row.queries for row in group}
        if len(found) == 1:
            print(f"  PASS  {db:<9} {label:<10} {view:<8} {found.pop()} at every size")
            continue
        counts_ok = False
        details = ", ".join(f"{row.queries} at {row.units}" for row in group)
        print(f"  FAIL  {db:<9} {label:<10} {view:<8} {details}")
        first, last = group[0], group[-1]
        diff = difflib.unified_diff(
            [normalised(sql) for sql in first.sql],
            [normalised(sql) for sql in last.sql],
            f"{first.units} units",
            f"{last.units} units",
            n=0,
            lineterm="",
        )
        for line in diff:
            print(f"        {line[:400]}")

    shown_ok = True
    print(
        "\nImages listed: the count under the pagination / expected (from the plan, not from"
        "\nthe policy); the first page must list only allowed images, each with its thumbnail:"
    )
    for db, label, view, group in groups(rows, dbs):
        bad = [r for r in group if r.shown != r.expected or not r.page_ok]
        shown_ok = shown_ok and not bad
        details = ", ".join(
            f"{r.shown}/{r.expected}{'' if r.page_ok else ' (first page wrong)'}" for r in group
        )
        print(f"  {'FAIL' if bad else 'PASS'}  {db:<9} {label:<10} {view:<8} {details}")

    size = max(sizes)
    print(
        f"\nTargets, judged on PostgreSQL at {TARGET_SIZE} units only (elsewhere 'info'): "
        f"{', '.join(TARGET_SUBJECTS)} pages under {TARGET_MS:g} ms (median); unit_mgr's "
        f"{RATIO_TARGET_VIEW} no slower than classic's (org/classic at most 1.00):"
    )
    by_page = {(r.db, r.units, r.user, r.view): r for r in rows}
    for row in [r for r in rows if r.units == size]:
        classic = by_page.get((row.db, row.units, "classic", row.view))
        verdict, ratio = target_verdict(row, classic), ""
        if row.user == "unit_mgr" and classic is not None:
            ratio = f", org/classic {row.median_ms / classic.median_ms:.2f}"
        print(
            f"  {verdict:<4}  {row.db:<9} {row.user:<10} {row.view:<8} median "
            f"{row.median_ms:6.1f} ms (fastest {row.min_ms:.1f} ms, SQL {row.sql_ms:.1f} ms, "
            f"CPU {row.cpu_ms:.1f} ms){ratio}, {row.queries} queries, "
            f"{row.options} collection options"
        )

    print(
        "\nQuery counts "
        + ("identical across sizes" if counts_ok else "DIFFER across sizes")
        + "; images listed "
        + ("as expected." if shown_ok else "NOT as expected.")
    )
    return counts_ok and shown_ok


# --- Command line ------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = bench_parser(
        __doc__, runs=15, pg_db=DEFAULT_PG_DB,
        show_queries="log the SQL of every measured page at the largest size, with its time",
    )  # fmt: skip
    parser.add_argument(
        "--explain",
        action="store_true",
        help="with each SQL log, the EXPLAIN ANALYZE of the page's slowest SELECT (PostgreSQL)",
    )
    return parse_checked(parser, argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker_output:
        if args.db == "both":
            raise SystemExit("a worker benchmarks one database")
        run_worker(args)
        return 0

    rows: list[Row] = []
    loads = [os.getloadavg()[0]]
    started = time.perf_counter()
    for db in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        with tempfile.TemporaryDirectory(prefix="distmark-bench-") as directory:
            output = Path(directory) / "rows.json"
            command = [
                sys.executable,
                str(Path(__file__).resolve()),
                *("--db", db, "--sizes", ",".join(map(str, args.sizes))),
                *("--runs", str(args.runs)),
                *("--pg-url", args.pg_url, "--pg-db", args.pg_db),
                *(("--show-queries",) if args.show_queries else ()),
                *(("--explain",) if args.explain else ()),
                *("--worker-output", str(output)),
            ]
            completed = subprocess.run(command, check=False)  # noqa: S603 (our own script)
            if completed.returncode:
                print(f"{db}: the benchmark failed (exit {completed.returncode})", file=sys.stderr)
                return 2
            rows.extend(Row(**row) for row in json.loads(output.read_text()))
        loads.append(os.getloadavg()[0])

    print(HEADER)
    print_table(COLUMNS, rows, key=lambda row: (row.db, row.units))
    print("\nUnit manager, org approach (one membership) / classic approach (one group per store):")
    print_table(
        (
            ("db", "db", "{}"),
            ("units", "units", "{}"),
            ("view", "view", "{}"),
            ("org_q", "org q", "{}"),
            ("classic_q", "classic q", "{}"),
            ("org_ms", "org ms", "{:.1f}"),
            ("classic_ms", "classic ms", "{:.1f}"),
            ("ratio", "org/classic", "{:.2f}"),
        ),
        ratios(rows),
        key=lambda ratio: ratio.db,
    )
    ok = print_summary(rows, args.sizes)
    print(
        f"Timings are wall-clock medians of {args.runs} runs; machine load average (1 min) "
        f"{' / '.join(f'{load:.1f}' for load in loads)} on {os.cpu_count()} CPUs "
        f"(before / after each database); {time.perf_counter() - started:.0f} s in all."
    )
    return 0 if ok else 1


HEADER = f"""
GET /admin/images/ (index, {PAGE_SIZES["index"]} a page) and /admin/images/chooser/ \
(chooser, {PAGE_SIZES["chooser"]} a page) with
django.test.Client after force_login. Per size: {IMAGES_PER_UNIT} images per unit, one in \
{BRAND_SHARE} in five brand
collections (three for the whole network, one for the measured store's region, one for
another region), the others in the stores' upload collections (one per unit, mirroring the
org tree); some usage rights expired or not begun. Images are rows without files, each with
its {THUMBNAIL} rendition row (as on a site where the thumbnails were once made): the pages
use the prefetched renditions.
Users: unit_mgr (unit_manager membership on a depth-6 store); classic (no membership, in
that store's Wagtail group: one group per store, with add/change/choose_image on the store's
collection and choose_image on the brand collections it may use); hq_admin (hq_admin
membership on the head office); superuser. Usage rights hide files from unit_mgr's chooser
only (members of the network), so classic's chooser lists a few more images.
'shown': the count under the pagination. 'SQL ms': median time inside cursor.execute()
(SQLite and server-side cursors return rows later, so there it is a lower bound).
'collection options': <option>s in the page's collection menus (filter, upload form).
"""


if __name__ == "__main__":
    sys.exit(main())
