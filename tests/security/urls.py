"""Every URL the project serves, read from Django's resolver, with its arguments filled in.

Nothing here names a view: a URL added by Wagtail, by the plugin or by a site is found by walking
``get_resolver()``. An argument is filled from its name, its converter and the model the view
serves (``view_initkwargs["model"]``, a ModelAdmin's model, or a model named in the route), so a
new model or view is covered without editing the sweep. A URL whose arguments cannot be filled
is reported, not silently skipped.
"""

import re
from dataclasses import dataclass, field
from functools import cache

from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver
from wagtail.admin.views.bulk_action.registry import bulk_action_registry

#: URLs the sweep does not request, each with the reason.
SKIPPED = {
    "wagtailadmin_logout": "ends the session the sweep runs in",
    "wagtailadmin_login": "the login form; requests as anonymous already land on it",
    "wagtailcore_login": "the front-end login form",
    "wagtailadmin_password_reset": "sends mail to an address it is given; no object to scope",
    "wagtailadmin_password_reset_done": "static confirmation page",
    "wagtailadmin_password_reset_confirm": "needs a signed token, not an object id",
    "wagtailadmin_password_reset_complete": "static confirmation page",
    "wagtailadmin_error_test": "Wagtail's deliberate 500 ('failwhale') to test error reporting",
}

#: A value for a string argument, by its name.
STRING_VALUES = {
    "action_name": "approve",
    "filter_spec": "original",
    "filename": "file.pdf",
    # The public mail links (unsubscribe, view online, open, click) take a signed token, not
    # an id: a forged one must be refused (not a 5xx); tests/sending/test_public.py signs
    # real ones.
    "token": "forged-token",
}
MISSING_ID = 987654
APP_MODEL_ARGS = {
    ("app_label", "model_name"),
    ("app_name", "model_name"),
    ("content_type_app_name", "content_type_model_name"),
}
ID_NAMES = ("pk", "object_id", "instance_pk")


@dataclass
class Route:
    """One URL pattern with its full route and the model its view serves, if known."""

    route: str
    name: str
    pattern: URLPattern
    model: type | None = None
    args: list = field(default_factory=list)

    def __str__(self):
        return f"{self.name or '(unnamed)'} {self.route}"


def walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = ":".join(filter(None, [namespace, entry.namespace]))
            yield from walk(entry.url_patterns, route, ns)
        else:
            name = ":".join(filter(None, [namespace, entry.name])) if entry.name else ""
            yield route, name, entry


#: ``<int:pk>``-style arguments and regex groups (one level of nesting) of a full route.
CONVERTER = re.compile(r"(?<!\?P)<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
GROUP = re.compile(r"\((?:\?P<(?P<name>\w+)>)?(?P<inner>(?:[^()]|\((?:[^()])*\))*)\)")


def route_args(route: str) -> list[tuple[str, str]]:
    """(name, kind) of each argument, in order; unnamed regex groups are named by position."""
    args = [(m["name"], m["conv"] or "str") for m in CONVERTER.finditer(route)]
    for index, match in enumerate(GROUP.finditer(route)):
        args.append((match["name"] or f"_{index}", match["inner"]))
    return args


def view_model(pattern: URLPattern):
    """The model a view serves: a generic view's ``model``, or the model of the object
    (a ModelAdmin, a viewset) a function view is bound to or closes over."""
    callback = pattern.callback
    while callback is not None:
        model = (getattr(callback, "view_initkwargs", None) or {}).get("model")
        owners = [getattr(callback, "__self__", None)]
        owners += [cell.cell_contents for cell in getattr(callback, "__closure__", None) or ()]
        model = model or next((o.model for o in owners if is_model(getattr(o, "model", 0))), None)
        if model:
            return apps.get_model(model) if isinstance(model, str) else model
        callback = getattr(callback, "__wrapped__", None)
    return None


def is_model(value) -> bool:
    return isinstance(value, type) and hasattr(value, "_meta")


def all_routes() -> tuple[Route, ...]:
    return routes_of(get_resolver())


@cache
def routes_of(resolver) -> tuple[Route, ...]:
    routes = []
    for route, name, pattern in walk(resolver.url_patterns):
        short = name.rsplit(":", 1)[-1]
        if name in SKIPPED or short in SKIPPED:
            continue
        routes.append(Route(route, name, pattern, view_model(pattern), route_args(route)))
    return tuple(routes)


def model_named(word: str, candidates):
    """The model a word of a route or an argument name stands for (``images`` -> Image)."""
    word = word.replace("_", "").replace("-", "").lower()
    for stem in (word, word.removesuffix("s")):
        exact = [m for m in candidates if m._meta.model_name == stem]
        if exact:
            return exact[0]
        ending = [m for m in candidates if stem and m._meta.model_name.endswith(stem)]
        if len(ending) == 1:
            return ending[0]
    return None


def model_in_route(route: str, candidates):
    """The last model named by a word of the route before its first argument."""
    head = re.split(r"[<(]", route, maxsplit=1)[0]
    found = None
    for word in re.split(r"[^A-Za-z_-]+", head.removeprefix("admin/")):
        found = model_named(word, candidates) or found
    return found


def all_models():
    return apps.get_models()


def bulk_actions():
    """(app_label, model_name, action) of every registered bulk action."""
    bulk_action_registry._scan_for_bulk_actions()
    return [
        (app, model, action)
        for app, models in bulk_action_registry.actions.items()
        for model, actions in models.items()
        for action in actions
    ]


@dataclass
class Probe:
    """A concrete URL to request, and the object it targets (for ``?id=``)."""

    route: Route
    path: str
    target: object | None


def fill_route(route: Route, pool: dict, any_row=True) -> list[Probe] | None:
    """Concrete URLs for a route, its ids taken from ``pool`` (model -> object), else (with
    ``any_row``) from any row of the model, else a missing id; None if the route has an
    argument the sweep cannot fill."""
    candidates = list(dict.fromkeys([*pool, *all_models()]))
    names = {name for name, _ in route.args}
    if route.name.endswith("wagtail_bulk_action"):
        return [bulk_probe(route, triple, pool) for triple in bulk_actions()]
    pairs = [pair for pair in APP_MODEL_ARGS if set(pair) <= names]
    if pairs:
        return [app_model_probe(route, pairs[0], obj) for obj in pool.values() if owned(obj)]
    model = route.model or model_in_route(route.route, candidates)
    primary = pool.get(model) if model else None
    if primary is None and model is not None and any_row:
        primary = model._default_manager.order_by("pk").last()
    values = {}
    for name, kind in route.args:
        value = arg_value(name, kind, model, primary, pool, candidates)
        if value is None:
            return None
        values[name] = value
    return [Probe(route, build_path(route, values), primary)]


def owned(obj) -> bool:
    """An object that belongs to a unit, directly or through its collection."""
    names = {f.name for f in obj._meta.get_fields()}
    return bool(names & {"unit", "collection"})


def bulk_probe(route, triple, pool):
    app_label, model_name, action = triple
    model = apps.get_model(app_label, model_name)
    values = {"app_label": app_label, "model_name": model_name, "action": action}
    return Probe(route, build_path(route, values), pool.get(model))


def app_model_probe(route, pair, obj):
    meta = type(obj)._meta
    values = {pair[0]: meta.app_label, pair[1]: meta.model_name, "object_id": obj.pk}
    values.update({name: MISSING_ID for name, kind in route.args if name not in values})
    return Probe(route, build_path(route, values), obj)


def arg_value(name, kind, model, primary, pool, candidates):
    if name in ID_NAMES or kind in (r"\d+", r"[-\w]+", ".+"):
        return primary.pk if primary is not None else (MISSING_ID if model else None)
    if name.endswith(("_id", "_pk")) or kind == "int":
        return related_id(name, primary, pool, candidates)
    if "|" in kind:  # (?P<revision_id_a>live|earliest|\d+): a word it accepts
        return next(w for w in kind.split("|") if w.isalpha() and w != "live")
    if name in STRING_VALUES:
        return STRING_VALUES[name]
    if kind == ".*" and primary is not None and hasattr(primary, "file"):
        return primary.file.name.rsplit("/", 1)[-1]
    if kind.startswith("(?:") or kind == ".*":  # a page path, a catch-all
        return "" if kind.startswith("(?:") else "nowhere"
    return None


#: Objects a route reaches through its main object (``revision_id`` of a campaign's URL).
THROUGH = {
    "revision": "latest_revision",
    "taskstate": "current_workflow_task_state",
    "workflowstate": "current_workflow_state",
    "task": "current_workflow_task",
}


def related_id(name, primary, pool, candidates):
    base = name.removesuffix("_id").removesuffix("_pk")
    words = [base.replace("_", "")] + base.split("_")
    words = ["document" if w == "doc" else w for w in words]
    model = next((m for m in (model_named(w, candidates) for w in words) if m), None)
    if model is None:
        return primary.pk if primary is not None else MISSING_ID
    attribute = THROUGH.get(model._meta.model_name)
    related = getattr(primary, attribute, None) if attribute else pool.get(model)
    if related is None:
        related = model._default_manager.order_by("pk").last()
    return related.pk if related is not None else MISSING_ID


def build_path(route: Route, values: dict) -> str:
    path = CONVERTER.sub(lambda m: str(values[m["name"]]), route.route)
    groups = iter(range(1000))

    def group_value(match):
        index = next(groups)
        return str(values[match["name"] or f"_{index}"])

    path = GROUP.sub(group_value, path)
    return "/" + path.replace("^", "").replace("$", "").replace("\\.", ".")
