"""georisk.model.settings."""

from __future__ import annotations

from dataclasses import dataclass

from georisk.model import ratings as model_ratings

MODEL_VERSION = "georisk risk model 1.1"

BANDS = ("Very low", "Low", "Medium", "High", "Very high")


@dataclass(frozen=True)
class ModelSettings:
    """The model's tunable settings, with their documented defaults."""

    radius_km: float = 50.0
    half_life_days: float = 180.0
    w_threat: float = 0.5
    w_exposure: float = 0.5
    # Lower bounds (on likelihood x impact) of the bands Low, Medium, High, Very high.
    cuts: tuple[int, int, int, int] = (4, 8, 12, 16)
    # Exposure at which the exposure level reaches about 3.5 of 5.
    saturation: float = 5.0
    w_other: float = 0.5
    w_target: float = 2.0
    segment_km: float = 50.0
    # Where threat ratings come from: analysts | derived | combined (georisk.model.ratings).
    ratings: str = "analysts"

    def validate(self) -> list[str]:
        """What is wrong with these settings, in words (empty when they can be used)."""
        problems = []
        if self.ratings not in model_ratings.SOURCES:
            problems.append(f"ratings must be one of {', '.join(model_ratings.SOURCES)}")
        for attribute, setting in SETTINGS.items():
            if not setting.low <= getattr(self, attribute) <= setting.high:
                problems.append(f"{setting.name} must be {setting.low:g} to {setting.high:g}{setting.unit}")
        if self.w_threat + self.w_exposure == 0:
            problems.append("the weights of threat and exposure must not both be zero")
        low, high = CUT_RANGE
        if not (low <= self.cuts[0] < self.cuts[1] < self.cuts[2] < self.cuts[3] <= high):
            problems.append(f"band cut-offs must rise strictly between {low} and {high}")
        return problems


@dataclass(frozen=True)
class Setting:
    """The range of one tunable number. The one definition that the link parser, the sliders and
    (later) the API all obey: anything a link may set, a widget can show."""

    name: str
    low: float
    high: float
    step: float
    unit: str = ""


SETTINGS = {
    "radius_km": Setting("radius", 5.0, 200.0, 5.0, " km"),
    "half_life_days": Setting("half-life", 30.0, 1095.0, 15.0, " days"),
    "w_threat": Setting("weight of threat", 0.0, 1.0, 0.05),
    "w_exposure": Setting("weight of exposure", 0.0, 1.0, 0.05),
}
# Band cut-offs are whole likelihood x impact scores.
CUT_RANGE = (2, 25)


DEFAULTS = ModelSettings()
