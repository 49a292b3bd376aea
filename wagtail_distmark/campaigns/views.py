"""The template gallery: how a unit starts a campaign, and its previews of templates."""

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin import messages

from wagtail_distmark.campaigns.copying import save_new_draft
from wagtail_distmark.campaigns.models import BrandTemplate, LocalCampaign
from wagtail_distmark.campaigns.previews import template_preview as preview_of_template
from wagtail_distmark.org.models import OrgUnit
from wagtail_distmark.rules.scope import get_scope


def own_units(user):
    """The units the user holds a role on, where they may create campaigns."""
    unit_ids = [grant.unit_id for grant in get_scope(user).grants]
    units = OrgUnit.objects.filter(pk__in=unit_ids)
    return [unit for unit in units if user.has_perm("wagtail_distmark.add_localcampaign", unit)]


def gallery_templates(user, units):
    return BrandTemplate.objects.available_to(*units).order_by("name")


class StartCampaignForm(forms.Form):
    template = forms.ModelChoiceField(
        queryset=BrandTemplate.objects.none(), label=gettext_lazy("Template")
    )
    unit = forms.ModelChoiceField(queryset=OrgUnit.objects.none(), label=gettext_lazy("For"))
    name = forms.CharField(label=gettext_lazy("Campaign name"), max_length=255)

    def __init__(self, *args, user, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["unit"].queryset = OrgUnit.objects.filter(pk__in=[u.pk for u in units])
        self.fields["template"].queryset = gallery_templates(user, units)
        if len(units) == 1:
            self.fields["unit"].initial = units[0].pk

    def clean_name(self):
        name = self.cleaned_data["name"]
        errors = LocalCampaign(name=name).text_field_errors("name")
        if errors:
            raise forms.ValidationError(errors)
        return name

    def clean(self):
        data = super().clean()
        template, unit = data.get("template"), data.get("unit")
        if not (template and unit):
            return data
        if not BrandTemplate.objects.available_to(unit).filter(pk=template.pk).exists():
            raise forms.ValidationError(
                _("%(template)s is not available to %(unit)s.")
                % {"template": template, "unit": unit}
            )
        if "name" not in data:  # its own error is shown on the field
            return data
        self.campaign = self.new_campaign(template, unit, data["name"])
        try:  # the template as HQ made it may not suit this unit (e.g. a product not sold)
            self.campaign.full_clean()
        except ValidationError as error:
            raise forms.ValidationError(
                _(
                    "%(template)s cannot be used for %(unit)s as it stands: %(reasons)s "
                    "Ask head office to adapt it."
                )
                % {"template": template, "unit": unit, "reasons": " ".join(error.messages)}
            ) from None
        return data

    def new_campaign(self, template, unit, name) -> LocalCampaign:
        return LocalCampaign(
            unit=unit,
            template=template,
            name=name,
            subject=template.subject,
            preheader=template.preheader,
            body=template.campaign_body_data(),
            created_by=self.user,
            live=False,
        )

    @transaction.atomic
    def save(self) -> LocalCampaign:
        return save_new_draft(self.campaign, self.user)


def gallery(request):
    units = own_units(request.user)
    if not units:
        raise PermissionDenied
    form = StartCampaignForm(request.POST or None, user=request.user, units=units)
    if request.method == "POST":
        if form.is_valid():
            campaign = form.save()
            messages.success(
                request, _("Campaign “%(name)s” created as a draft.") % {"name": campaign}
            )
            return redirect(
                reverse("wagtailsnippets_wagtail_distmark_localcampaign:edit", args=[campaign.pk])
            )
        messages.validation_error(request, _("The campaign could not be created."), form)
    return TemplateResponse(
        request,
        "wagtail_distmark/campaigns/gallery.html",
        {"form": form, "templates": form.fields["template"].queryset, "units": units},
    )


def template_preview(request, pk):
    """A brand template as the user's own unit would send it, to a sample contact."""
    units = own_units(request.user)
    if not units:
        raise PermissionDenied
    template = get_object_or_404(gallery_templates(request.user, units), pk=pk)
    unit = next(u for u in units if BrandTemplate.objects.available_to(u).filter(pk=pk).exists())
    return preview_of_template(template, unit, request.build_absolute_uri("/"))
