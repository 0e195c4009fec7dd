"""georisk.model.methodology."""

from __future__ import annotations

from georisk.model import ratings
from georisk.model.settings import MODEL_VERSION, ModelSettings
from georisk.scenario import precision


def methodology(params: ModelSettings, district_km: float | None = None) -> str:
    """The method in words and the values in force, as Markdown (our own text, no data)."""
    total = params.w_threat + params.w_exposure
    cuts = params.cuts
    thresholds = "; ".join(
        f"{level} if n ≥ {n}" + (f" or k ≥ {k}" if k is not None else "")
        for level, n, k in ratings.DERIVED_THRESHOLDS
    )
    return f"""
**{MODEL_VERSION}.** For each site at the as-of date:

- **Threat** T (1–5): the highest threat level of the province the site (or a pipeline segment)
  lies in, as the province was at that date, for the actor families hostile to the site's partner
  country (or for the families chosen in the filter). A family without its own rating takes the
  province's overall rating. Ratings in force: **{ratings.SOURCE_LABELS[params.ratings]}**
  (`ratings={params.ratings}` in the link). A rating holds for its period and is carried forward,
  marked as carried, for at most {ratings.MAX_CARRY_DAYS} days after the province's last rated
  period. Before the first rating and after that, the province has **no rating**: never level 1.
- **Derived ratings** ({ratings.DERIVED_RULE}; labelled *derived* wherever they are used): for
  each province and half-year the feed covers, from its n incidents (at any precision) and the k
  deaths they caused: level {thresholds}; else 1.
- **Exposure** E: the sum, over the incidents in view on or before the as-of date within
  **{params.radius_km:g} km**, of severity × recency × proximity × relevance, where severity =
  1 + ln(1 + 3 killed + 0.5 wounded) (Global Terrorism Index weights, damped; an unknown count
  adds nothing), recency = 0.5^(age / **{params.half_life_days:g} days**), proximity = 1 −
  distance / (2 × radius) and relevance = 1 for families hostile to the partner,
  **{params.w_other:g}** for others, times **{params.w_target:g}** when the attack hit the site's
  own sector (e.g. energy infrastructure). The exposure level is X = 1 + 4 (1 − e^(−E /
  {params.saturation:g})).
- **Precision**: only points placed precisely enough for the radius count toward exposure; the
  others are counted apart as "left out for imprecision" and still count in their province's
  context and in derived ratings. {precision.rule_text(params.radius_km, district_km)}
- **Likelihood** L = ({params.w_threat:g} T + {params.w_exposure:g} X) / {total:g}, rounded to 1–5.
  With no threat rating, L = X: the score rests on exposure alone, and says so.
- **Impact** I: the site's criticality (1–5).
- **Band** from L × I: Very low below {cuts[0]}, Low from {cuts[0]}, Medium from {cuts[1]}, High
  from {cuts[2]}, Very high from {cuts[3]}.

Distances are measured in an azimuthal equidistant projection centred on the country. A line is
cut into segments of at most {params.segment_km:g} km; each is scored and the site takes its worst.
"""
