"""The e-mail block library: each block renders itself to MJML and to plain text.

User-typed text is HTML-escaped before it reaches MJML, so nothing a franchisee types is
ever interpreted; merge tags (``{{ unit.phone }}``) pass through untouched and are
substituted, escaped, per recipient.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from html import escape as html_escape
from html import unescape as html_unescape
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock
from wagtail.rich_text import expand_db_html, features
from wagtail.rich_text.rewriters import FIND_A_TAG, FIND_EMBED_TAG, extract_attrs
from wagtail.snippets.blocks import SnippetChooserBlock

from wagtail_distmark.catalogue.models import local_prices
from wagtail_distmark.formats import format_price
from wagtail_distmark.ids import parse_pk
from wagtail_distmark.markup.links import validate_link, validate_rich_text_links
from wagtail_distmark.markup.merge_tags import unit_values, validate_merge_tags
from wagtail_distmark.markup.mjml import validate_mjml_fragment
from wagtail_distmark.markup.raw_mjml import MAX_RAW_MJML_CHARS, split_raw_mjml
from wagtail_distmark.text import is_blank

RICH_TEXT_FEATURES = ["bold", "italic", "link", "ol", "ul"]
IMAGE_RENDITION = "width-1200"
#: The legal footer's grey: 4.95:1 on white, 4.5:1 (WCAG AA) even on a light grey (#f4f4f4).
FINE_PRINT = "#707070"


@dataclass(frozen=True)
class EmailContext:
    """What a block needs to render: the sending unit and the site's absolute base URL.

    ``image_urls`` caches rendition URLs; pass the same dict to the contexts of every unit a
    campaign is compiled for, and each image is looked up once (half of a compile otherwise).
    ``unit_prices`` holds the unit's prices of the products being rendered, read once per
    compile by :meth:`with_prices` and shared by the MJML and the plain text.
    """

    unit: object | None = None
    base_url: str = ""
    image_urls: dict = field(default_factory=dict, compare=False, repr=False)
    unit_prices: Mapping[int, str] = field(default_factory=dict, compare=False, repr=False)

    def absolute(self, url: str) -> str:
        return url if urlsplit(url).scheme else f"{self.base_url.rstrip('/')}{url}"

    @property
    def language(self) -> str:
        """The e-mail's language tag (``<html lang>``): the unit's locale ('' for none)."""
        return getattr(self.unit, "locale", "") or ""

    def with_prices(self, products) -> EmailContext:
        """This context with the unit's prices of ``products`` read (one query; none if
        they are all read already)."""
        missing = [product for product in products if product.pk not in self.unit_prices]
        if not missing:
            return self
        return replace(self, unit_prices={**self.unit_prices, **self.read_prices(missing)})

    def prices(self, products) -> dict:
        """Each product's price at the unit (its local price, inherited), else HQ's, as
        text in the unit's locale and the price's currency (e.g. '£34.00', '34,00 €')."""
        prices = self.with_prices(products).unit_prices  # reads only what is not read yet
        return {product.pk: prices[product.pk] for product in products}

    def read_prices(self, products) -> dict:
        amounts = {product.pk: (product.price, product.currency) for product in products}
        if self.unit is not None and amounts:
            amounts.update(local_prices(self.unit, list(amounts)))
        locale = self.unit.locale if self.unit is not None else "en"
        return {pk: format_price(*amount, locale) for pk, amount in amounts.items()}

    def image_url(self, image) -> str:
        if image.pk not in self.image_urls:
            self.image_urls[image.pk] = self.absolute(image.get_rendition(IMAGE_RENDITION).url)
        return self.image_urls[image.pk]


def escape(text) -> str:
    """Django's ``escape()`` without its lazy-string and ``SafeString`` wrapping, which made
    a fifth of the blocks' MJML time (a compile escapes about fifty values)."""
    return html_escape(str(text))


def text_html(value: str) -> str:
    """Escaped text with its line breaks kept."""
    text = escape(value or "")
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")


def mj_text(content: str, **attrs) -> str:
    """``<mj-text>`` with attributes given as keywords (``font_size="13px"``)."""
    attributes = "".join(f' {name.replace("_", "-")}="{value}"' for name, value in attrs.items())
    return f"<mj-text{attributes}>{content}</mj-text>"


def section(*columns: str, padding: str = "12px 24px") -> str:
    cols = "".join(f"<mj-column>{column}</mj-column>" for column in columns)
    return f'<mj-section padding="{padding}">{cols}</mj-section>'


class EmailBlockMixin:
    """Rendering contract shared by every e-mail block."""

    def render_mjml(self, value, context: EmailContext) -> str:
        raise NotImplementedError

    def render_text(self, value, context: EmailContext) -> str:
        raise NotImplementedError


class MergeTagTextMixin:
    """Text blocks accept merge tags, and only the whitelisted ones; a rich text's links
    follow the link rule (:mod:`wagtail_distmark.markup.links`); a required text made only of
    spaces and invisible characters is empty."""

    def clean(self, value):
        value = super().clean(value)
        source = value if isinstance(value, str) else value.source
        try:
            validate_merge_tags(source)
            if not isinstance(value, str):
                validate_rich_text_links(source)
        except ValidationError as error:
            raise ValidationError(error.messages) from error
        if self.required and is_blank(source if isinstance(value, str) else html_to_text(source)):
            raise ValidationError(self.field.error_messages["required"], code="required")
        return value


class MergeTagCharBlock(MergeTagTextMixin, blocks.CharBlock):
    pass


class MergeTagTextBlock(MergeTagTextMixin, blocks.TextBlock):
    pass


#: What a broken reference in stored rich text raises when it is expanded or edited.
REFERENCE_ERRORS = (ValueError, TypeError, KeyError, LookupError, ValidationError)


def reference_exists(handler, attrs: dict) -> bool:
    """Whether every object a rich-text link or embed names exists (a bad id does not)."""
    try:
        for model, pk, *_rest in handler.extract_references(attrs):
            pk = parse_pk(model, pk)
            if pk is None or not model._default_manager.filter(pk=pk).exists():
                return False
    except REFERENCE_ERRORS:
        return False
    return True


def broken_tags(html: str):
    """The ``<a linktype=…>`` and ``<embed …/>`` tags of stored rich text naming nothing."""
    kinds = (
        (FIND_A_TAG, "linktype", features.get_link_types()),
        (FIND_EMBED_TAG, "embedtype", features.get_embed_types()),
    )
    for pattern, type_attr, handlers in kinds:
        for match in pattern.finditer(html or ""):
            attrs = extract_attrs(match.group(1))
            handler = handlers.get(attrs.get(type_attr))
            if handler is not None and not reference_exists(handler, attrs):
                yield match


def without_broken_references(html: str) -> str:
    """Stored rich text with links to missing objects turned into plain text (kept)."""
    for match in reversed(list(broken_tags(html))):
        replacement = "<a>" if match.group(0).startswith("<a") else ""
        html = html[: match.start()] + replacement + html[match.end() :]
    return html


def safe_expand(html: str) -> str:
    """``expand_db_html`` that a stored bad link id cannot crash (the link is dropped)."""
    try:
        return expand_db_html(html)
    except REFERENCE_ERRORS:
        return expand_db_html(without_broken_references(html))


class EmailRichTextBlock(MergeTagTextMixin, EmailBlockMixin, blocks.RichTextBlock):
    def __init__(self, **kwargs):
        kwargs.setdefault("features", RICH_TEXT_FEATURES)
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if any(True for _match in broken_tags(value.source)):
            raise ValidationError(
                _("A link points to a page or a file that does not exist. Choose it again.")
            )
        return value

    def render_mjml(self, value, context):
        return section(mj_text(safe_expand(value.source)))

    def render_text(self, value, context):
        return html_to_text(safe_expand(value.source))

    class Meta:
        icon = "pilcrow"
        label = _("Rich text")


@lru_cache(maxsize=256)
def html_to_text(html: str) -> str:
    """The text of rich text or MJML, kept for the last sources: Django's ``strip_tags()``
    parses until nothing changes, and every unit of a campaign has the same rich text."""
    spaced = html.replace("</p>", "</p>\n\n").replace("<br>", "\n").replace("</li>", "</li>\n")
    return html_unescape(strip_tags(spaced)).strip()


def image_tag(context, image, alt, href="", width=""):
    if image is None:  # a draft may lack it, or it was deleted since: show nothing
        return ""
    attrs = f'src="{escape(context.image_url(image))}" alt="{escape(alt)}"'
    if href:
        attrs += f' href="{escape(href)}"'
    if width:
        attrs += f' width="{width}"'
    return f"<mj-image {attrs} />"


class EmailLinkBlock(blocks.CharBlock):
    """A link of an e-mail: the one rule of :func:`~wagtail_distmark.markup.links.validate_link`
    (https, http, mailto or tel; the recipient's data only to domains HQ allows)."""

    def clean(self, value):
        value = (super().clean(value) or "").strip()
        validate_link(value)
        return value


class LogoHeaderBlock(EmailBlockMixin, blocks.StructBlock):
    logo = ImageChooserBlock(label=_("Logo"))
    alt = MergeTagCharBlock(label=_("Alternative text"), max_length=125)
    link = EmailLinkBlock(label=_("Link"), max_length=500, required=False)

    def render_mjml(self, value, context):
        return section(image_tag(context, value["logo"], value["alt"], value["link"], "180px"))

    def render_text(self, value, context):
        return value["alt"]

    class Meta:
        icon = "image"
        label = _("Logo header")


class HeroBlock(EmailBlockMixin, blocks.StructBlock):
    #: The text a zone's "choices" constraint applies to.
    primary_text_field = "heading"
    image = ImageChooserBlock(label=_("Image"))
    alt = MergeTagCharBlock(label=_("Alternative text"), max_length=125)
    heading = MergeTagCharBlock(label=_("Heading"), max_length=120)
    text = MergeTagTextBlock(label=_("Text"), required=False)

    def render_mjml(self, value, context):
        return section(
            image_tag(context, value["image"], value["alt"]),
            padding="0",
        ) + section(
            mj_text(text_html(value["heading"]), font_size="28px", font_weight="700")
            + (mj_text(text_html(value["text"])) if value["text"] else "")
        )

    def render_text(self, value, context):
        return "\n\n".join(part for part in (value["heading"], value["text"]) if part)

    class Meta:
        icon = "title"
        label = _("Hero")


class ImageBlock(EmailBlockMixin, blocks.StructBlock):
    image = ImageChooserBlock(label=_("Image"))
    alt = MergeTagCharBlock(label=_("Alternative text"), max_length=125)
    link = EmailLinkBlock(label=_("Link"), max_length=500, required=False)

    def render_mjml(self, value, context):
        return section(image_tag(context, value["image"], value["alt"], value["link"]))

    def render_text(self, value, context):
        return f"[{value['alt']}]" + (f" {value['link']}" if value["link"] else "")

    class Meta:
        icon = "image"
        label = _("Image")


class ButtonBlock(EmailBlockMixin, blocks.StructBlock):
    #: The text a zone's "choices" constraint applies to.
    primary_text_field = "label"
    label = MergeTagCharBlock(label=_("Label"), max_length=40)
    url = EmailLinkBlock(label=_("Link"), max_length=500)

    def render_mjml(self, value, context):
        return section(
            f'<mj-button href="{escape(value["url"])}">{escape(value["label"])}</mj-button>'
        )

    def render_text(self, value, context):
        return f"{value['label']}: {value['url']}"

    class Meta:
        icon = "link"
        label = _("Button")


class ColumnBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("Image"), required=False)
    alt = MergeTagCharBlock(label=_("Alternative text"), max_length=125, required=False)
    heading = MergeTagCharBlock(label=_("Heading"), max_length=80, required=False)
    text = MergeTagTextBlock(label=_("Text"), required=False)

    def clean(self, value):
        value = super().clean(value)
        if value["image"] and not value["alt"]:
            raise blocks.StructBlockValidationError(
                block_errors={"alt": ValidationError(_("Describe the image for screen readers."))}
            )
        return value

    def column_mjml(self, value, context):
        parts = [image_tag(context, value["image"], value["alt"])] if value["image"] else []
        if value["heading"]:
            parts.append(mj_text(text_html(value["heading"]), font_weight="700"))
        if value["text"]:
            parts.append(mj_text(text_html(value["text"])))
        return "".join(parts)

    def column_text(self, value):
        return "\n".join(part for part in (value["heading"], value["text"]) if part)


class TwoColumnsBlock(EmailBlockMixin, blocks.StructBlock):
    left = ColumnBlock(label=_("Left"))
    right = ColumnBlock(label=_("Right"))

    def render_mjml(self, value, context):
        left, right = self.child_blocks["left"], self.child_blocks["right"]
        return section(
            left.column_mjml(value["left"], context), right.column_mjml(value["right"], context)
        )

    def render_text(self, value, context):
        left, right = self.child_blocks["left"], self.child_blocks["right"]
        return f"{left.column_text(value['left'])}\n\n{right.column_text(value['right'])}".strip()

    class Meta:
        icon = "doc-full"
        label = _("Two columns")


class OfferBlock(EmailBlockMixin, blocks.StructBlock):
    #: The text a zone's "choices" constraint applies to.
    primary_text_field = "title"
    title = MergeTagCharBlock(label=_("Title"), max_length=80)
    discount = blocks.IntegerBlock(label=_("Discount (%)"), min_value=1, max_value=90)
    text = MergeTagTextBlock(label=_("Conditions"), required=False)
    valid_until = blocks.DateBlock(label=_("Valid until"), required=False)

    def render_mjml(self, value, context):
        parts = [
            mj_text(text_html(value["title"]), font_size="22px", font_weight="700", align="center"),
            mj_text(f"−{value['discount']} %", font_size="40px", font_weight="700", align="center"),
        ]
        if value["text"]:
            parts.append(mj_text(text_html(value["text"]), align="center"))
        if value["valid_until"]:
            parts.append(
                mj_text(escape(self.valid_until_label(value)), font_size="13px", align="center")
            )
        return section("".join(parts))

    def valid_until_label(self, value) -> str:
        return str(_("Valid until %(date)s") % {"date": value["valid_until"].isoformat()})

    def render_text(self, value, context):
        lines = [value["title"], f"-{value['discount']} %", value["text"]]
        if value["valid_until"]:
            lines.append(
                str(_("Valid until %(date)s") % {"date": value["valid_until"].isoformat()})
            )
        return "\n".join(line for line in lines if line)

    class Meta:
        icon = "tag"
        label = _("Offer")


class ProductBlock(blocks.StructBlock):
    """A product of the catalogue, shown with the unit's own price."""

    product = SnippetChooserBlock("wagtail_distmark.Product", label=_("Product"))
    url = EmailLinkBlock(label=_("Link"), max_length=500, required=False)


class ProductGridBlock(EmailBlockMixin, blocks.StructBlock):
    """Up to six catalogue products; names, photos and the unit's prices come from the
    catalogue, and only products the campaign's unit sells may be saved."""

    #: The text a zone's "choices" constraint applies to.
    primary_text_field = "heading"

    heading = MergeTagCharBlock(label=_("Heading"), max_length=80, required=False)
    products = blocks.ListBlock(ProductBlock(), label=_("Products"), min_num=1, max_num=6)

    def catalogue_products(self, value) -> list:
        """The products shown (a deleted one is skipped), whose prices the e-mail needs."""
        return [item["product"] for item in value["products"] if item["product"] is not None]

    def render_mjml(self, value, context):
        heading = (
            section(mj_text(text_html(value["heading"]), font_size="20px", font_weight="700"))
            if value["heading"]
            else ""
        )
        items = [item for item in value["products"] if item["product"] is not None]
        prices = context.prices(self.catalogue_products(value))
        rows = [items[i : i + 3] for i in range(0, len(items), 3)]
        return heading + "".join(
            section(*(self.product_mjml(item, prices, context) for item in row)) for row in rows
        )

    def product_mjml(self, item, prices, context):
        product = item["product"]
        parts = (
            [image_tag(context, product.image, product.name, item["url"])]
            if product.image_id
            else []
        )
        price = prices[product.pk]
        parts.append(
            mj_text(f"<strong>{escape(product.name)}</strong><br>{escape(price)}", align="center")
        )
        return "".join(parts)

    def render_text(self, value, context):
        lines = [value["heading"]] if value["heading"] else []
        products = self.catalogue_products(value)
        prices = context.prices(products)
        lines += [f"- {p.name} {prices[p.pk]}" for p in products]
        return "\n".join(lines)

    class Meta:
        icon = "list-ul"
        label = _("Product grid")


class LocalFooterBlock(EmailBlockMixin, blocks.StructBlock):
    """The sending unit's identity, filled from its profile: never typed by hand."""

    #: The text a zone's "choices" constraint applies to.
    primary_text_field = "intro"

    intro = MergeTagCharBlock(label=_("Introduction"), max_length=120, required=False)

    def lines(self, unit) -> list[str]:
        """A merge tag per profile field the unit filled in: the values are substituted
        (escaped) per recipient, never parsed, so a ``{{`` in them is only text."""
        if unit is None:
            return []
        values = unit_values(unit)
        keys = (
            "unit.sender_name",
            "unit.name",
            "unit.address",
            "unit.phone",
            "unit.opening_hours",
            "unit.website",
        )
        return [f"{{{{ {key} }}}}" for key in keys if values[key]]

    def render_mjml(self, value, context):
        intro = mj_text(text_html(value["intro"])) if value["intro"] else ""
        details = "<br>".join(self.lines(context.unit))
        return section(intro + mj_text(details, font_size="14px", color="#555555"))

    def render_text(self, value, context):
        return "\n".join([value["intro"], *self.lines(context.unit)]).strip()

    class Meta:
        icon = "home"
        label = _("Local store footer")


class LegalFooterBlock(EmailBlockMixin, blocks.StructBlock):
    #: The text a zone's "choices" constraint applies to.
    primary_text_field = "text"
    text = MergeTagTextBlock(label=_("Legal text"))
    unsubscribe_label = MergeTagCharBlock(
        label=_("Unsubscribe link text"), max_length=60, default=_("Unsubscribe")
    )

    def render_mjml(self, value, context):
        link = f'<a href="{{{{ unsubscribe_url }}}}">{escape(value["unsubscribe_label"])}</a>'
        return section(
            mj_text(f"{text_html(value['text'])}<br>{link}", font_size="12px", color=FINE_PRINT)
        )

    def render_text(self, value, context):
        return f"{value['text']}\n{value['unsubscribe_label']}: {{{{ unsubscribe_url }}}}"

    class Meta:
        icon = "doc-full-inverse"
        label = _("Legal footer")


SOCIAL_NETWORKS = [
    ("facebook", "Facebook"),
    ("instagram", "Instagram"),
    ("linkedin", "LinkedIn"),
    ("x", "X"),
    ("youtube", "YouTube"),
    ("pinterest", "Pinterest"),
]


class SocialLinkBlock(blocks.StructBlock):
    network = blocks.ChoiceBlock(choices=SOCIAL_NETWORKS, label=_("Network"))
    url = EmailLinkBlock(label=_("Link"), max_length=500)


class SocialLinksBlock(EmailBlockMixin, blocks.StructBlock):
    links = blocks.ListBlock(SocialLinkBlock(), label=_("Links"), min_num=1, max_num=6)

    def render_mjml(self, value, context):
        names = dict(SOCIAL_NETWORKS)
        elements = "".join(
            f'<mj-social-element name="{link["network"]}" href="{escape(link["url"])}">'
            f"{escape(names[link['network']])}</mj-social-element>"
            for link in value["links"]
        )
        return section(f'<mj-social mode="horizontal">{elements}</mj-social>')

    def render_text(self, value, context):
        names = dict(SOCIAL_NETWORKS)
        return "\n".join(f"{names[link['network']]}: {link['url']}" for link in value["links"])

    class Meta:
        icon = "site"
        label = _("Social links")


class SpacerBlock(EmailBlockMixin, blocks.StructBlock):
    height = blocks.IntegerBlock(label=_("Height (px)"), min_value=4, max_value=96, default=24)
    divider = blocks.BooleanBlock(label=_("Draw a line"), required=False)

    def render_mjml(self, value, context):
        inner = (
            '<mj-divider border-width="1px" border-color="#dddddd" />' if value["divider"] else ""
        )
        return section(f'<mj-spacer height="{int(value["height"])}px" />{inner}', padding="0 24px")

    def render_text(self, value, context):
        return "----" if value["divider"] else ""

    class Meta:
        icon = "horizontalrule"
        label = _("Spacer")


class RawMJMLBlock(EmailBlockMixin, blocks.TextBlock):
    """HQ's own MJML: sections (``<mj-section>`` …), or a whole MJML document whose head
    styles join the e-mail's head (:mod:`wagtail_distmark.markup.raw_mjml`). Always locked
    in local campaigns."""

    def clean(self, value):
        value = super().clean(value)
        if len(value) > MAX_RAW_MJML_CHARS:
            raise ValidationError(
                _("Raw MJML is limited to %(limit)d characters."),
                params={"limit": MAX_RAW_MJML_CHARS},
            )
        raw = split_raw_mjml(value)
        if not raw.body.strip():
            raise ValidationError(_("This MJML has no content: its <mj-body> is empty."))
        try:
            validate_merge_tags(value)
        except ValidationError as error:
            raise ValidationError(error.messages) from error
        validate_mjml_fragment(raw.body, head=raw.head)
        return value

    def render_head(self, value) -> str:
        """The styling this zone adds to the e-mail's ``<mj-head>``."""
        return split_raw_mjml(value).head

    def render_mjml(self, value, context):
        return split_raw_mjml(value).body

    def render_text(self, value, context):
        # The text of the sections, without compiling them again.
        return html_to_text(strip_tags(split_raw_mjml(value).body.replace("</mj-", "\n</mj-")))

    class Meta:
        icon = "code"
        label = _("Raw MJML (HQ only)")


def email_blocks() -> list[tuple[str, blocks.Block]]:
    """The e-mail blocks, in the order HQ's template editor offers them (new instances)."""
    return [
        ("logo_header", LogoHeaderBlock()),
        ("hero", HeroBlock()),
        ("rich_text", EmailRichTextBlock()),
        ("image", ImageBlock()),
        ("button", ButtonBlock()),
        ("two_columns", TwoColumnsBlock()),
        ("offer", OfferBlock()),
        ("product_grid", ProductGridBlock()),
        ("local_footer", LocalFooterBlock()),
        ("legal_footer", LegalFooterBlock()),
        ("social_links", SocialLinksBlock()),
        ("spacer", SpacerBlock()),
        ("raw_mjml", RawMJMLBlock()),
    ]


block_classes = [
    EmailRichTextBlock, LogoHeaderBlock, HeroBlock, ImageBlock, EmailLinkBlock, ButtonBlock,
    ColumnBlock, TwoColumnsBlock, OfferBlock, ProductBlock, ProductGridBlock, LocalFooterBlock,
    LegalFooterBlock, SocialLinkBlock, SocialLinksBlock, SpacerBlock, RawMJMLBlock,
    MergeTagCharBlock, MergeTagTextBlock,
]  # fmt: skip
DECONSTRUCT_ALIASES = {cls: f"wagtail_distmark.blocks.{cls.__name__}" for cls in block_classes}
__all__ = [cls.__name__ for cls in block_classes] + ["email_blocks", "EmailContext"]
