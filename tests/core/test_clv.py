"""BG/NBD and Gamma-Gamma (`wateja.core.clv`): CDNOW, lifetimes, gradients, hand checks, errors.

Published CDNOW figures: Fader, Hardie & Lee (2005), "Counting your customers the easy way"
(BG/NBD: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, log-likelihood -9582.4) and Hardie's
note 025 (Gamma-Gamma: p = 6.25, q = 3.74, v = 15.44). lifetimes 0.11.3 works with the numpy
and pandas installed here (note that ``df.T`` is pandas' transpose: the age column is ``df["T"]``).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import warnings

import numpy as np
import pytest
from scipy import integrate
from scipy.optimize import approx_fprime

from wateja.core import clv
from wateja.core.clv import (
    BGNBDFit,
    GammaGammaFit,
    bgnbd_log_likelihood,
    customer_lifetime_value,
    expected_average_spend,
    expected_purchases,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_log_likelihood,
    probability_alive,
)

lifetimes = pytest.importorskip("lifetimes")
datasets = pytest.importorskip("lifetimes.datasets")
pd = pytest.importorskip("pandas")


@pytest.fixture(scope="module")
def cdnow() -> dict[str, np.ndarray]:
    data = datasets.load_cdnow_summary_data_with_monetary_value()
    return {
        "x": data["frequency"].to_numpy(dtype=float),
        "tx": data["recency"].to_numpy(dtype=float),
        "T": data["T"].to_numpy(dtype=float),
        "m": data["monetary_value"].to_numpy(dtype=float),
    }


@pytest.fixture(scope="module")
def ours(cdnow: dict[str, np.ndarray]) -> BGNBDFit:
    return fit_bgnbd(cdnow["x"], cdnow["tx"], cdnow["T"])


@pytest.fixture(scope="module")
def ours_gg(cdnow: dict[str, np.ndarray]) -> GammaGammaFit:
    return fit_gamma_gamma(cdnow["x"], cdnow["m"])


@pytest.fixture(scope="module")
def theirs(cdnow: dict[str, np.ndarray]):  # lifetimes.BetaGeoFitter
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lifetimes.BetaGeoFitter().fit(cdnow["x"], cdnow["tx"], cdnow["T"])


@pytest.fixture(scope="module")
def theirs_gg(cdnow: dict[str, np.ndarray]):  # lifetimes.GammaGammaFitter
    repeat = cdnow["x"] > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lifetimes.GammaGammaFitter().fit(cdnow["x"][repeat], cdnow["m"][repeat])


def bgnbd_values(model: BGNBDFit) -> np.ndarray:
    return np.array([model.r, model.alpha, model.a, model.b])


def lifetimes_with(params: BGNBDFit):  # a BetaGeoFitter that predicts with our parameters
    fitter = lifetimes.BetaGeoFitter()
    fitter.params_ = pd.Series(bgnbd_values(params), index=["r", "alpha", "a", "b"])
    fitter.predict = fitter.conditional_expected_number_of_purchases_up_to_time  # set by fit()
    return fitter


# -- CDNOW: published figures and lifetimes -------------------------------------------------------


def test_bgnbd_cdnow_matches_published(ours: BGNBDFit) -> None:
    assert ours.converged
    assert ours.customers == 2357
    assert ours.rows < 2357  # identical rows were merged
    for got, published in zip(bgnbd_values(ours), (0.243, 4.414, 0.793, 2.426), strict=True):
        assert got == pytest.approx(published, abs=6e-4)
    assert ours.log_likelihood == pytest.approx(-9582.4, abs=0.05)


def test_bgnbd_cdnow_matches_lifetimes(ours: BGNBDFit, theirs, cdnow) -> None:
    theirs_values = theirs.params_[["r", "alpha", "a", "b"]].to_numpy()
    assert np.max(np.abs(bgnbd_values(ours) / theirs_values - 1)) <= 1e-3
    # and our maximum is at least as high as theirs, on their own likelihood function
    ones = np.ones(len(cdnow["x"]))
    args = (cdnow["x"], cdnow["tx"], cdnow["T"], ones, 0.0)
    nll = lifetimes.BetaGeoFitter._negative_log_likelihood
    assert nll(np.log(bgnbd_values(ours)), *args) <= nll(np.log(theirs_values), *args) + 1e-12
    assert -nll(np.log(bgnbd_values(ours)), *args) * len(ones) == pytest.approx(
        ours.log_likelihood, rel=1e-12
    )


def test_bgnbd_uncompressed_and_weighted_fits_agree(ours: BGNBDFit, cdnow) -> None:
    plain = fit_bgnbd(cdnow["x"], cdnow["tx"], cdnow["T"], compress=False)
    assert plain.rows == 2357
    assert np.max(np.abs(bgnbd_values(plain) / bgnbd_values(ours) - 1)) < 1e-6
    assert plain.log_likelihood == pytest.approx(ours.log_likelihood, rel=1e-12)
    # every row twice == every row with weight 2 (same parameters, twice the log-likelihood)
    doubled = fit_bgnbd(np.tile(cdnow["x"], 2), np.tile(cdnow["tx"], 2), np.tile(cdnow["T"], 2))
    weighted = fit_bgnbd(cdnow["x"], cdnow["tx"], cdnow["T"], weights=np.full(2357, 2.0))
    for fit in (doubled, weighted):
        assert fit.customers == 2 * 2357
        assert np.max(np.abs(bgnbd_values(fit) / bgnbd_values(ours) - 1)) < 1e-6
        assert fit.log_likelihood == pytest.approx(2 * ours.log_likelihood, rel=1e-12)


def test_bgnbd_log_likelihood_in_other_time_units(ours: BGNBDFit, cdnow) -> None:
    """Ages in days instead of weeks: alpha scales, the other parameters stay."""
    days = fit_bgnbd(cdnow["x"], cdnow["tx"] * 7, cdnow["T"] * 7)
    assert days.alpha == pytest.approx(ours.alpha * 7, rel=1e-6)
    assert (days.r, days.a, days.b) == pytest.approx((ours.r, ours.a, ours.b), rel=1e-6)
    direct = bgnbd_log_likelihood(days, cdnow["x"], cdnow["tx"] * 7, cdnow["T"] * 7)
    assert days.log_likelihood == pytest.approx(direct, rel=1e-12)


@pytest.mark.parametrize("t", [0.0, 1.0, 10.0, 39.0, 78.0, 520.0])
def test_expected_purchases_match_lifetimes(ours: BGNBDFit, theirs, cdnow, t: float) -> None:
    x, tx, age = cdnow["x"], cdnow["tx"], cdnow["T"]
    got = expected_purchases(ours, t, x, tx, age)
    same_params = lifetimes_with(ours).conditional_expected_number_of_purchases_up_to_time(
        t, x, tx, age
    )
    np.testing.assert_allclose(got, same_params, rtol=1e-9, atol=1e-14)
    their_fit = theirs.conditional_expected_number_of_purchases_up_to_time(t, x, tx, age)
    np.testing.assert_allclose(got, their_fit, rtol=1e-3, atol=1e-14)


def test_expected_purchases_published_example(ours: BGNBDFit) -> None:
    """FHL 2005, section 5: x = 2, t_x = 30.43, T = 38.86 expects 1.226 purchases in 39 weeks."""
    assert expected_purchases(ours, 39, 2, 30.43, 38.86)[0] == pytest.approx(1.226, abs=1e-3)


def test_probability_alive_matches_lifetimes(ours: BGNBDFit, theirs, cdnow) -> None:
    x, tx, age = cdnow["x"], cdnow["tx"], cdnow["T"]
    got = probability_alive(ours, x, tx, age)
    assert np.all((got > 0) & (got <= 1)) and np.all(got[x == 0] == 1)
    same = lifetimes_with(ours).conditional_probability_alive(x, tx, age)
    np.testing.assert_allclose(got, same, rtol=1e-12)
    np.testing.assert_allclose(got, theirs.conditional_probability_alive(x, tx, age), rtol=1e-3)
    # pandas columns and lists are accepted as well as arrays
    as_series = probability_alive(ours, pd.Series(x), pd.Series(tx), pd.Series(age))
    np.testing.assert_array_equal(as_series, got)
    np.testing.assert_array_equal(probability_alive(ours, [2], [30.43], [38.86]), got[:1])


def test_gamma_gamma_cdnow_matches_published_and_lifetimes(
    ours_gg: GammaGammaFit, theirs_gg, cdnow
) -> None:
    assert ours_gg.converged
    assert ours_gg.customers == 946  # repeat customers only
    got = np.array([ours_gg.p, ours_gg.q, ours_gg.v])
    assert got == pytest.approx([6.25, 3.74, 15.44], abs=0.01)
    theirs_values = theirs_gg.params_[["p", "q", "v"]].to_numpy()
    assert np.max(np.abs(got / theirs_values - 1)) <= 1e-3
    direct = gamma_gamma_log_likelihood(ours_gg, cdnow["x"], cdnow["m"])
    assert ours_gg.log_likelihood == pytest.approx(direct, rel=1e-12)
    repeat = cdnow["x"] > 0
    nll = lifetimes.GammaGammaFitter._negative_log_likelihood
    args = (cdnow["x"][repeat], cdnow["m"][repeat], np.ones(946), 0.0)
    assert -nll(np.log(got), *args) * 946 == pytest.approx(direct, rel=1e-12)
    plain = fit_gamma_gamma(cdnow["x"], cdnow["m"], compress=False)
    assert np.max(np.abs(np.array([plain.p, plain.q, plain.v]) / got - 1)) < 1e-6


def test_gamma_gamma_money_units(ours_gg: GammaGammaFit, cdnow) -> None:
    """Spend in cents instead of dollars: v scales, p and q stay."""
    cents = fit_gamma_gamma(cdnow["x"], cdnow["m"] * 100)
    assert cents.v == pytest.approx(ours_gg.v * 100, rel=1e-6)
    assert (cents.p, cents.q) == pytest.approx((ours_gg.p, ours_gg.q), rel=1e-6)


def test_expected_average_spend_matches_lifetimes(ours_gg, theirs_gg, cdnow) -> None:
    got = expected_average_spend(ours_gg, cdnow["x"], cdnow["m"])
    theirs = theirs_gg.conditional_expected_average_profit(cdnow["x"], cdnow["m"])
    np.testing.assert_allclose(got, np.asarray(theirs), rtol=1e-3)
    population = ours_gg.p * ours_gg.v / (ours_gg.q - 1)
    assert np.all(got[cdnow["x"] == 0] == pytest.approx(population))


@pytest.mark.parametrize("rate", [0.0, 0.01])
def test_customer_lifetime_value_matches_lifetimes(
    ours: BGNBDFit, ours_gg: GammaGammaFit, cdnow, rate: float
) -> None:
    x, tx, age, m = cdnow["x"], cdnow["tx"], cdnow["T"], cdnow["m"]
    got = customer_lifetime_value(
        ours, ours_gg, x, tx, age, m, horizon=12 * 4.345, units_per_month=4.345,
        monthly_discount_rate=rate,
    )  # fmt: skip
    spend = lifetimes.GammaGammaFitter()
    spend.params_ = pd.Series([ours_gg.p, ours_gg.q, ours_gg.v], index=["p", "q", "v"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = spend.customer_lifetime_value(
            lifetimes_with(ours),
            pd.Series(x), pd.Series(tx), pd.Series(age), pd.Series(m),
            time=12, discount_rate=rate, freq="W",
        )  # fmt: skip
    np.testing.assert_allclose(got, expected.to_numpy(), rtol=1e-9)
    if rate == 0:
        product = expected_purchases(ours, 12 * 4.345, x, tx, age) * expected_average_spend(
            ours_gg, x, m
        )
        np.testing.assert_allclose(got, product, rtol=1e-12)


# -- Gradients ------------------------------------------------------------------------------------


def _relative_gradient_error(objective, point: np.ndarray) -> float:
    _, analytic = objective(point)
    numeric = approx_fprime(point, lambda p: objective(p)[0], 1e-7)
    return float(np.max(np.abs(analytic - numeric)) / max(np.max(np.abs(numeric)), 1e-3))


@pytest.mark.parametrize("compress", [True, False])
@pytest.mark.parametrize("point", [[0.0, 0.0, 0.0, 0.0], [-1.4, -0.8, -0.2, 0.9], [1, 2, -2, 3]])
def test_bgnbd_gradient_matches_finite_differences(
    cdnow, point: list[float], compress: bool
) -> None:
    data = clv._bgnbd_data(cdnow["x"], cdnow["tx"], cdnow["T"], np.ones(2357), 30.0, compress)
    error = _relative_gradient_error(lambda p: clv._bgnbd_objective(p, data), np.array(point))
    assert error < 1e-5


@pytest.mark.parametrize("point", [[0.0, 0.7, 0.0], [1.8, 1.3, 0.4], [-1, 3, 2]])
def test_gamma_gamma_gradient_matches_finite_differences(cdnow, point: list[float]) -> None:
    repeat = cdnow["x"] > 0
    data = clv._gamma_gamma_data(
        cdnow["x"][repeat], cdnow["m"][repeat], np.ones(946), 35.0, compress=True
    )
    error = _relative_gradient_error(lambda p: clv._gamma_gamma_objective(p, data), np.array(point))
    assert error < 1e-5


# -- Hand-checkable cases -------------------------------------------------------------------------


def test_tiny_cases_by_hand() -> None:
    ones = BGNBDFit(r=1.0, alpha=1.0, a=1.0, b=1.0)
    # no repeat purchase: LL = r log(alpha / (alpha + T)), and alive for sure
    assert bgnbd_log_likelihood(ones, [0], [0], [1]) == pytest.approx(math.log(0.5))
    assert probability_alive(ones, 0, 0, 5)[0] == 1.0
    # x = 1, t_x = 1, T = 3: odds of dropping out = a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x) = 4
    assert probability_alive(ones, 1, 1, 3)[0] == pytest.approx(0.2)
    # a horizon of zero expects nothing
    assert expected_purchases(BGNBDFit(r=1.0, alpha=1.0, a=2.0, b=1.0), 0, 3, 2, 4)[0] == 0
    # r = alpha = 1, a = 2, b = 1, no repeat purchase yet (x = 0, T = 0): the closed form is
    # (a+b-1)/(a-1) (1 - (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b-1; z)) = 2 (1 - (1-z) 2F1(1, 1; 2; z))
    # with 2F1(1, 1; 2; z) = -log(1-z)/z; for t = 1, z = 1/2: 2 (1 - log 2)
    e = expected_purchases(BGNBDFit(r=1.0, alpha=1.0, a=2.0, b=1.0), 1, 0, 0, 0)[0]
    assert e == pytest.approx(2 * (1 - math.log(2)), rel=1e-12)
    # spend: (p v + p x m) / (p x + q - 1) = (10 + 20) / (2 + 2)
    spend = GammaGammaFit(p=1.0, q=3.0, v=10.0)
    assert expected_average_spend(spend, [2, 0], [10.0, 0.0]) == pytest.approx([7.5, 5.0])


def test_expected_purchases_across_a_equal_one() -> None:
    """The closed form is 0/0 at a = 1; the prediction is continuous there."""
    values = [
        expected_purchases(BGNBDFit(r=0.5, alpha=3.0, a=a, b=2.0), 20, [0, 3], [0, 5], [10, 10])
        for a in (1 - 1e-3, 1 - 5e-5, 1.0, 1 + 5e-5, 1 + 1e-3)
    ]
    assert np.all(np.isfinite(values))
    for left, right in itertools.pairwise(values):
        np.testing.assert_allclose(left, right, rtol=2e-3)
    np.testing.assert_allclose(values[2], (values[0] + values[4]) / 2, rtol=1e-5)


def test_bgnbd_stored_parameters_round_trip(ours: BGNBDFit) -> None:
    stored = dataclasses.asdict(ours)
    again = BGNBDFit(**stored)
    assert again == ours
    with pytest.raises(dataclasses.FrozenInstanceError):
        ours.r = 1.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="alpha must be a positive"):
        BGNBDFit(r=1.0, alpha=0.0, a=1.0, b=1.0)
    with pytest.raises(ValueError, match="q must be a positive"):
        GammaGammaFit(p=1.0, q=math.nan, v=1.0)


@pytest.mark.parametrize(
    ("params", "x", "tx", "age", "t"),
    [
        ((0.243, 4.414, 0.793, 2.426), 2, 30.43, 38.86, 39.0),
        ((0.243, 4.414, 0.793, 2.426), 0, 0.0, 0.0, 52.0),
        ((1.0, 10.0, 0.5, 5.0), 40, 200.0, 365.0, 365.0),
        ((2.0, 30.0, 3.0, 10.0), 128, 64.0, 128.0, 1500.0),  # scipy's hyp2f1 gives NaN here
        ((3.0, 2.0, 2.0, 30.0), 500, 900.0, 1000.0, 1500.0),
    ],
)
def test_expected_purchases_by_integrating_the_posterior(params, x, tx, age, t) -> None:
    """E = P(alive) E[(1 - ((alpha+T)/(alpha+T+p t))^(r+x)) / p], p ~ Beta(a, b+x).

    Given alive, lambda ~ Gamma(r+x, alpha+T) and p ~ Beta(a, b+x); an alive customer with
    (lambda, p) expects (1 - e^(-lambda p t)) / p purchases in t. Integrated numerically, this
    checks the closed form (a hypergeometric function) without lifetimes.
    """
    model = BGNBDFit(*params)
    r, alpha, a, b = params
    scale = t / (alpha + age)

    def per_p(p: float) -> float:
        if p == 0:
            return (r + x) * scale
        return -math.expm1(-(r + x) * math.log1p(p * scale)) / p

    integral, _ = integrate.quad(
        per_p, 0, 1, weight="alg", wvar=(a - 1, b + x - 1), epsabs=0, epsrel=1e-11, limit=200
    )
    beta = math.exp(math.lgamma(a) + math.lgamma(b + x) - math.lgamma(a + b + x))
    expected = probability_alive(model, x, tx, age)[0] * integral / beta
    assert expected_purchases(model, t, x, tx, age)[0] == pytest.approx(expected, rel=1e-7)


# -- Simulation ----------------------------------------------------------------------------------


def simulate(model: BGNBDFit, age: np.ndarray, rng: np.random.Generator):
    """(frequency, recency) drawn from the BG/NBD process for customers of the given ages."""
    rate = rng.gamma(model.r, 1 / model.alpha, len(age))
    dropout = rng.beta(model.a, model.b, len(age))
    arrivals = rng.poisson(rate * age)  # purchases a customer who never dropped out would make
    made_before_dropping = rng.geometric(dropout)  # the purchase after which they drop out
    x = np.minimum(arrivals, made_before_dropping)
    # the x-th of `arrivals` uniform purchase times in [0, T]
    recency = np.where(x > 0, age * rng.beta(np.maximum(x, 1), arrivals - x + 1), 0.0)
    return x.astype(float), recency


def test_fit_recovers_simulated_parameters() -> None:
    rng = np.random.default_rng(20260310)
    truth = BGNBDFit(r=0.243, alpha=4.414, a=0.793, b=2.426)
    age = rng.integers(27 * 7, 39 * 7 + 1, 40_000) / 7
    x, recency = simulate(truth, age, rng)
    fit = fit_bgnbd(x, recency, age)
    assert fit.converged
    assert bgnbd_values(fit) == pytest.approx(bgnbd_values(truth), rel=0.15)


def test_expected_purchases_of_new_customers_match_simulation() -> None:
    rng = np.random.default_rng(7)
    model = BGNBDFit(r=0.243, alpha=4.414, a=0.793, b=2.426)
    n, horizon = 200_000, 52.0
    x, _ = simulate(model, np.full(n, horizon), rng)
    predicted = expected_purchases(model, horizon, 0, 0, 0)[0]
    assert abs(x.mean() - predicted) < 4 * x.std() / math.sqrt(n)


# -- Bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"frequency": [], "recency": [], "T": []}, "no customers"),
        ({"frequency": [1, 2], "recency": [1], "T": [3, 3]}, "length mismatch"),
        ({"frequency": [-1, 2], "recency": [0, 1], "T": [3, 3]}, "frequency has negative"),
        ({"frequency": [1, 2], "recency": [-1, 1], "T": [3, 3]}, "recency has negative"),
        ({"frequency": [1, 2], "recency": [4, 1], "T": [3, 3]}, "recency is larger than T"),
        ({"frequency": [0, 2], "recency": [1, 1], "T": [3, 3]}, "recency must be 0"),
        ({"frequency": [1.5, 2], "recency": [1, 1], "T": [3, 3]}, "whole numbers"),
        ({"frequency": [1, 2], "recency": [1, math.nan], "T": [3, 3]}, "NaN"),
        ({"frequency": [[1, 2]], "recency": [[1, 1]], "T": [[3, 3]]}, "one-dimensional"),
        ({"frequency": ["a"], "recency": [1], "T": [3]}, "must be numbers"),
        ({"frequency": [0, 0], "recency": [0, 0], "T": [3, 3]}, "no customer has a repeat"),
        (
            {"frequency": [1, 2], "recency": [1, 1], "T": [3, 3], "weights": [1, -1]},
            "weights has negative",
        ),
        (
            {"frequency": [1, 2], "recency": [1, 1], "T": [3, 3], "weights": [1]},
            "length mismatch",
        ),
    ],
)
def test_fit_bgnbd_rejects_bad_input(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fit_bgnbd(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("frequency", "monetary_value", "message"),
    [
        ([], [], "no customers"),
        ([1, 2], [3.0], "length mismatch"),
        ([0, 0], [0.0, 0.0], "no customer has a repeat"),
        ([1, 2], [0.0, 5.0], "monetary_value must be positive"),
        ([1, 2], [-3.0, 5.0], "monetary_value must be positive"),
        ([1, -2], [3.0, 5.0], "frequency has negative"),
        ([1, 2], [3.0, math.inf], "infinite"),
    ],
)
def test_fit_gamma_gamma_rejects_bad_input(frequency, monetary_value, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fit_gamma_gamma(frequency, monetary_value)


def test_predictions_reject_bad_input(ours: BGNBDFit, ours_gg: GammaGammaFit) -> None:
    with pytest.raises(ValueError, match="t has negative"):
        expected_purchases(ours, -1, [1], [1], [2])
    with pytest.raises(ValueError, match="length mismatch"):
        expected_purchases(ours, [1, 2, 3], [1, 1], [1, 1], [2, 2])
    with pytest.raises(ValueError, match="recency is larger than T"):
        probability_alive(ours, [1], [3], [2])
    with pytest.raises(ValueError, match="infinite"):
        expected_average_spend(GammaGammaFit(p=1.0, q=0.5, v=1.0), [0], [0.0])
    with pytest.raises(ValueError, match="horizon"):
        customer_lifetime_value(ours, ours_gg, [1], [1], [2], [5.0], horizon=-1)
    with pytest.raises(ValueError, match="length mismatch"):
        customer_lifetime_value(ours, ours_gg, [1, 2], [1, 1], [2, 2], [5.0], horizon=10)
