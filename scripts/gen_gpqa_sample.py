#!/usr/bin/env python3
"""Generates the bundled GPQA-style sample dataset (bench/data/gpqa_sample.jsonl).

This is GENERATED, GPQA-*style* data. It is NOT the real GPQA: that set is gated to keep it out
of training data and must never be shipped; users pass the path of their own copy themselves.

Every question comes from a template with computed parameters; the correct answer is computed
here, and the three distractors come from typical mistakes (a lost factor of 2, a forgotten
square, log10 for ln, a swapped ratio, the wrong frame...). The output is deterministic: the
same --seed always gives a byte-identical file. Standard library only (Python 3.9+).

    python3 scripts/gen_gpqa_sample.py                 # (re)write bench/data/gpqa_sample.jsonl
    python3 scripts/gen_gpqa_sample.py --check         # validate, and check the file is current
    python3 scripts/gen_gpqa_sample.py --out /tmp/x.jsonl --seed 7
"""

import argparse
import json
import math
import os
import random
import sys
from fractions import Fraction

DEFAULT_SEED = 20250301
DEFAULT_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "bench", "data",
                           "gpqa_sample.jsonl")

# ---------------------------------------------------------------------------------------------
# Physical constants (CODATA 2018).
H = 6.62607015e-34            # J s
HBAR = H / (2 * math.pi)
C_LIGHT = 299792458.0         # m/s
E_CHARGE = 1.602176634e-19    # C
M_E = 9.1093837015e-31        # kg
M_P = 1.67262192369e-27       # kg
M_D = 3.3435837724e-27        # kg (deuteron)
M_ALPHA = 6.6446573357e-27    # kg
K_B = 1.380649e-23            # J/K
R_GAS = 8.314462618           # J/(mol K)
FARADAY = 96485.33212         # C/mol
MU0 = 1.25663706212e-6        # N/A^2
R_INF = 10973731.568160       # 1/m
ME_C2_KEV = 510.99895
MP_C2_GEV = 0.93827208816
ME_C2_MEV = 0.51099895
KW = 1.0e-14

# ---------------------------------------------------------------------------------------------
# Number formatting.


def fmt(x, sig=3):
    """`sig` significant figures; plain notation for 1e-3 <= |x| < 1e5, else "1.23 × 10^-4"."""
    if x == 0:
        return "0"
    mant, exp = f"{x:.{sig - 1}e}".split("e")
    exp = int(exp)
    if -3 <= exp < 5:
        return f"{x:.{max(sig - 1 - exp, 0)}f}"
    return f"{mant} × 10^{exp}"


def pick_scale(x, scales):
    """The first (factor, unit) of `scales` (largest first) with |x| >= factor, else the last."""
    for factor, unit in scales:
        if abs(x) >= factor:
            return factor, unit
    return scales[-1]


LENGTHS = [(1e3, "km"), (1.0, "m"), (1e-3, "mm"), (1e-6, "μm"), (1e-9, "nm"), (1e-12, "pm")]
TIMES = [(1.0, "s"), (1e-3, "ms"), (1e-6, "μs")]
FREQS = [(1e9, "GHz"), (1e6, "MHz"), (1e3, "kHz"), (1.0, "Hz")]


def scaled_renderer(reference, scales, sig=3):
    """Renders every choice of a question in the unit that suits the correct value."""
    factor, unit = pick_scale(reference, scales)
    return lambda v: f"{fmt(v / factor, sig)} {unit}"


def frac(f):
    f = Fraction(f)
    return str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"


def num_str(x):
    """A parameter as written in a stem: 0.25 -> "0.25", 10.0 -> "10", 1500 -> "1500"."""
    return f"{x:g}"


SUPERSCRIPT = str.maketrans("0123456789+-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻")
SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def norm(s):
    return " ".join(s.strip().lower().split())


class Unusable(Exception):
    """These parameters give a degenerate question; the driver draws new ones."""


def distinct(correct, candidates, need=3):
    seen = {norm(correct)}
    out = []
    for c in candidates:
        if c is None:
            continue
        key = norm(c)
        if not key or key in seen:
            continue
        seen.add(key)
        out.append(c)
        if len(out) == need:
            return out
    raise Unusable(f"only {len(out)} distinct distractors for {correct!r}")


FALLBACK_FACTORS = [2.0, 0.5, 3.0, 1 / 3, 4.0, 0.25, 1.5, 2 / 3, 10.0, 0.1]


def numeric(correct_value, wrong_values, render, min_gap=0.015):
    """Renders the correct value and three distinct wrong ones. A mistake that lands within
    `min_gap` (relative) of the answer or of an earlier distractor is skipped, as nobody could
    tell them apart; simple multiples of the answer top the list up when needed."""
    if not (math.isfinite(correct_value) and correct_value != 0):
        raise Unusable("degenerate value")
    kept = [correct_value]
    for v in list(wrong_values) + [correct_value * f for f in FALLBACK_FACTORS]:
        if v is None or not math.isfinite(v) or v == 0:
            continue
        if all(abs(v - k) > min_gap * max(abs(v), abs(k)) for k in kept):
            kept.append(v)
    correct = render(correct_value)
    return correct, distinct(correct, [render(v) for v in kept[1:]])


def and_join(words):
    words = list(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def item(question, correct, incorrect, subdomain):
    return {"question": question, "correct": correct, "incorrect": incorrect,
            "subdomain": subdomain}


TEMPLATES = []  # (name, domain, count, function)


def template(domain, count):
    def register(fn):
        TEMPLATES.append((fn.__name__, domain, count, fn))
        return fn
    return register


# =============================================================================================
# Physics
# =============================================================================================


@template("Physics", 3)
def box_transition(rng):
    L = rng.choice([0.20, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50, 0.60, 0.75, 0.80, 1.00, 1.20, 1.50])
    ni, nf = rng.choice([(2, 1), (3, 1), (3, 2), (4, 1), (4, 2), (4, 3), (5, 2), (5, 3), (5, 4)])
    e1 = H ** 2 / (8 * M_E * (L * 1e-9) ** 2)

    def lam(de):
        return H * C_LIGHT / de * 1e9

    correct, wrong = numeric(
        lam(e1 * (ni ** 2 - nf ** 2)),
        [lam(e1 * (ni - nf)),                 # forgot the square on n
         lam(e1 * ni ** 2),                   # used the upper level's energy alone
         lam(2 * e1 * (ni ** 2 - nf ** 2))],  # 4mL^2 instead of 8mL^2
        lambda v: f"{fmt(v)} nm")
    q = (f"An electron is confined to a one-dimensional infinite square well of width {L:.2f} nm. "
         f"What is the vacuum wavelength of the photon emitted when the electron drops from the "
         f"n = {ni} level to the n = {nf} level?")
    return item(q, correct, wrong, "Quantum Mechanics")


@template("Physics", 3)
def de_broglie(rng):
    name, m, z = rng.choice([("An electron", M_E, 1), ("A proton", M_P, 1),
                             ("An alpha particle", M_ALPHA, 2)])
    V = rng.choice([50, 75, 100, 150, 200, 250, 300, 400, 500, 600, 800, 1000, 1500, 2000])
    lam = H / math.sqrt(2 * m * z * E_CHARGE * V) * 1e12
    correct, wrong = numeric(
        lam,
        [lam * math.sqrt(2),        # dropped the 2 in p = sqrt(2mK)
         lam / (2 * math.pi),       # used hbar instead of h
         lam / math.sqrt(2),        # took K = 2qV
         lam * math.sqrt(z) if z > 1 else None],  # forgot the alpha's charge of 2e
        lambda v: f"{fmt(v)} pm")
    q = (f"{name} is accelerated from rest through a potential difference of {V} V. Treating its "
         f"motion nonrelativistically, what is its de Broglie wavelength afterward?")
    return item(q, correct, wrong, "Quantum Mechanics")


@template("Physics", 3)
def decay_length(rng):
    name, tau_s, tau = rng.choice([
        ("A muon", "2.197 μs", 2.197e-6), ("A charged pion", "26.03 ns", 2.603e-8),
        ("A charged kaon", "12.38 ns", 1.238e-8), ("A Λ⁰ baryon", "263.2 ps", 2.632e-10),
        ("A tau lepton", "290.3 fs", 2.903e-13)])
    b_s = rng.choice(["0.600", "0.800", "0.900", "0.950", "0.980", "0.990", "0.995"])
    b = float(b_s)
    g = 1 / math.sqrt(1 - b * b)
    d = g * b * C_LIGHT * tau
    correct, wrong = numeric(
        d, [b * C_LIGHT * tau,          # no time dilation
            b * C_LIGHT * tau / g,      # divided by gamma instead of multiplying
            g * C_LIGHT * tau],         # forgot beta
        scaled_renderer(d, LENGTHS))
    q = (f"{name} (proper mean lifetime {tau_s}) is produced in a fixed-target experiment with "
         f"speed v = {b_s}c in the laboratory frame. What is its mean decay length as measured in "
         f"the laboratory?")
    return item(q, correct, wrong, "Relativistic Mechanics")


@template("Physics", 3)
def relativistic_momentum(rng):
    if rng.random() < 0.6:
        name, m, K, unit = ("proton", MP_C2_GEV,
                            rng.choice([0.100, 0.250, 0.500, 0.800, 1.00, 1.50, 2.00, 3.00, 5.00]),
                            "GeV")
        mass_note = "m_p c² = 938.3 MeV"
    else:
        name, m, K, unit = ("electron", ME_C2_MEV,
                            rng.choice([0.100, 0.250, 0.500, 1.00, 2.00, 5.00]), "MeV")
        mass_note = "m_e c² = 0.511 MeV"
    p = math.sqrt(K * K + 2 * K * m)
    correct, wrong = numeric(
        p, [math.sqrt(2 * m * K),   # nonrelativistic p = sqrt(2mK)
            K,                      # ultrarelativistic p = K/c
            K + m],                 # total energy taken for pc
        lambda v: f"{fmt(v)} {unit}/c")
    q = (f"An {name} has a kinetic energy of {num_str(K)} {unit} in the laboratory. What is the "
         f"magnitude of its momentum? (Take {mass_note}.)") if name == "electron" else (
        f"A {name} has a kinetic energy of {num_str(K)} {unit} in the laboratory. What is the "
        f"magnitude of its momentum? (Take {mass_note}.)")
    return item(q, correct, wrong, "Relativistic Mechanics")


@template("Physics", 3)
def rc_charging(rng):
    R = rng.choice([2.2, 4.7, 10, 22, 33, 47, 68, 100])       # kOhm
    Cf = rng.choice([0.47, 1.0, 2.2, 4.7, 10, 22])             # uF
    f = rng.choice([0.75, 0.80, 0.90, 0.95, 0.99, 0.999])
    tau = R * 1e3 * Cf * 1e-6
    t = -tau * math.log(1 - f)
    correct, wrong = numeric(
        t, [-tau * math.log(f),             # ln f instead of ln(1 - f)
            f * tau,                        # linear charging
            -tau * math.log10(1 - f)],      # log10 instead of ln
        scaled_renderer(t, TIMES))
    q = (f"An initially uncharged {num_str(Cf)} μF capacitor is connected in series with a "
         f"{num_str(R)} kΩ resistor across an ideal DC source at t = 0. How long does it take for "
         f"the capacitor voltage to reach {f * 100:g}% of the source voltage?")
    return item(q, correct, wrong, "Electromagnetism and Photonics")


@template("Physics", 3)
def lc_series_caps(rng):
    L = rng.choice([1.0, 2.2, 4.7, 10, 22, 47, 100])     # mH
    c1, c2 = rng.sample([10, 22, 47, 100, 220, 470], 2)   # nF
    cs = c1 * c2 / (c1 + c2) * 1e-9
    cp = (c1 + c2) * 1e-9

    def f0(c):
        return 1 / (2 * math.pi * math.sqrt(L * 1e-3 * c))

    fr = f0(cs)
    correct, wrong = numeric(
        fr, [f0(cp),                 # combined the capacitors as if in parallel
             2 * math.pi * fr,       # gave omega in place of f
             f0(c1 * 1e-9)],         # ignored the second capacitor
        scaled_renderer(fr, FREQS))
    q = (f"An ideal {num_str(L)} mH inductor is connected in a closed loop with two ideal "
         f"capacitors, {c1} nF and {c2} nF, that are wired in series with each other. At what "
         f"frequency, in cycles per second, does the charge on the capacitors oscillate?")
    return item(q, correct, wrong, "Electromagnetism and Photonics")


@template("Physics", 3)
def bragg(rng):
    src, lam = rng.choice([("Cu Kα", 0.15406), ("Mo Kα", 0.07093), ("Co Kα", 0.17890),
                           ("Cr Kα", 0.22897)])
    crystal, a, planes = rng.choice([
        ("NaCl (rock salt, a = 0.5640 nm)", 0.5640,
         [(1, 1, 1), (2, 0, 0), (2, 2, 0), (3, 1, 1), (2, 2, 2), (4, 0, 0)]),
        ("silicon (diamond cubic, a = 0.5431 nm)", 0.5431,
         [(1, 1, 1), (2, 2, 0), (3, 1, 1), (4, 0, 0), (3, 3, 1)]),
        ("copper (fcc, a = 0.3615 nm)", 0.3615, [(1, 1, 1), (2, 0, 0), (2, 2, 0), (3, 1, 1)]),
        ("aluminium (fcc, a = 0.4049 nm)", 0.4049, [(1, 1, 1), (2, 0, 0), (2, 2, 0), (3, 1, 1)]),
        ("α-iron (bcc, a = 0.2866 nm)", 0.2866, [(1, 1, 0), (2, 0, 0), (2, 1, 1), (2, 2, 0)]),
        ("tungsten (bcc, a = 0.3165 nm)", 0.3165, [(1, 1, 0), (2, 0, 0), (2, 1, 1)])])
    hkl = rng.choice(planes)
    d = a / math.sqrt(sum(i * i for i in hkl))
    s = lam / (2 * d)
    if s >= 0.98:
        raise Unusable("no first-order reflection")
    theta = math.degrees(math.asin(s))
    correct, wrong = numeric(
        theta, [2 * theta,                                        # reported 2θ
                math.degrees(math.asin(lam / (2 * a))),           # used d = a
                math.degrees(math.asin(lam / d)) if lam / d < 1 else None],  # dropped the 2
        lambda v: f"{v:.2f}°")
    q = (f"{src} X-rays (λ = {lam} nm) are diffracted by a single crystal of {crystal}. At what "
         f"Bragg angle θ, measured between the incident beam and the diffracting planes, does the "
         f"first-order ({''.join(map(str, hkl))}) reflection appear?")
    return item(q, correct, wrong, "Condensed Matter Physics")


@template("Physics", 3)
def wien_peak(rng):
    T = rng.choice([3200, 3500, 4200, 5000, 5800, 6500, 7800, 9600, 11000, 15000, 20000, 30000])
    lam = 2.897771955e-3 / T * 1e9
    correct, wrong = numeric(
        lam, [5.099e-3 / T * 1e9,     # peak of B_ν converted with λ = c/ν
              1.4388e-2 / T * 1e9,    # set hc/λ = kT
              1.449e-3 / T * 1e9],    # halved Wien's constant
        lambda v: f"{fmt(v)} nm")
    q = (f"A star's photosphere is well approximated as a blackbody at an effective temperature of "
         f"{T} K. At what wavelength does its spectral radiance per unit wavelength, B_λ, peak?")
    return item(q, correct, wrong, "Astrophysics")


@template("Physics", 3)
def doppler(rng):
    line, lam0 = rng.choice([("Hα", 656.28), ("Hβ", 486.13), ("Lyman-α", 121.567),
                             ("[O III]", 500.68), ("Mg II", 279.80), ("C IV", 154.95)])
    b_s = rng.choice(["0.0500", "0.100", "0.200", "0.300", "0.400", "0.500", "0.600"])
    b = float(b_s)
    g = 1 / math.sqrt(1 - b * b)
    red = math.sqrt((1 + b) / (1 - b))
    away = rng.random() < 0.7
    if away:
        lam, wrong_vals = lam0 * red, [lam0 * (1 + b), lam0 / red, lam0 * g]
    else:
        lam, wrong_vals = lam0 / red, [lam0 * (1 - b), lam0 * red, lam0 / g]
    correct, wrong = numeric(lam, wrong_vals, lambda v: f"{fmt(v, 4)} nm")
    q = (f"The {line} line has a rest-frame wavelength of {lam0} nm. A source is moving directly "
         f"{'away from' if away else 'toward'} the observer at {b_s}c (neglect cosmological "
         f"expansion and any transverse motion). At what wavelength is the line observed?")
    return item(q, correct, wrong, "Astrophysics")


@template("Physics", 3)
def compton(rng):
    src, E = rng.choice([
        ("A 17.48 keV Mo Kα X-ray photon", 17.48), ("The 59.54 keV γ-ray from ²⁴¹Am", 59.54),
        ("The 122.1 keV γ-ray from ⁵⁷Co", 122.1), ("The 140.5 keV γ-ray from ⁹⁹ᵐTc", 140.5),
        ("The 364.5 keV γ-ray from ¹³¹I", 364.5), ("A 511.0 keV annihilation photon", 511.0),
        ("The 661.7 keV γ-ray from ¹³⁷Cs", 661.7), ("The 1332.5 keV γ-ray from ⁶⁰Co", 1332.5)])
    th = rng.choice([30, 45, 60, 90, 120, 135, 150, 180])
    eps = E / ME_C2_KEV
    c = math.cos(math.radians(th))
    e2 = E / (1 + eps * (1 - c))
    first = E * (1 - eps * (1 - c))
    correct, wrong = numeric(
        e2, [E / (1 + eps * (1 + c)),              # sign slip: 1 + cos θ
             first if first > 0 else None,         # first-order expansion
             E / (1 + 2 * eps * (1 - c))],         # extra factor of 2
        lambda v: f"{fmt(v, 4)} keV")
    q = (f"{src} is Compton-scattered by a free electron initially at rest, and the scattered "
         f"photon is detected at {th}° from the incident direction. What is the energy of the "
         f"scattered photon?")
    return item(q, correct, wrong, "Physics (general)")


@template("Physics", 3)
def rydberg_ion(rng):
    ion, Z = rng.choice([("He⁺", 2), ("Li²⁺", 3), ("Be³⁺", 4)])
    nu, nl = rng.choice([(2, 1), (3, 1), (3, 2), (4, 2), (4, 3), (5, 2), (5, 3), (6, 4)])

    def lam(z2, term):
        return 1 / (R_INF * z2 * term) * 1e9

    t = 1 / nl ** 2 - 1 / nu ** 2
    correct, wrong = numeric(
        lam(Z * Z, t), [lam(1, t),                        # forgot Z²
                        lam(Z, t),                        # used Z instead of Z²
                        lam(Z * Z, 1 / nl - 1 / nu)],     # forgot the squares on n
        lambda v: f"{fmt(v, 4)} nm")
    q = (f"Using the infinite-nuclear-mass Rydberg constant R∞ = 1.0974 × 10^7 m^-1, what is the "
         f"vacuum wavelength of the photon emitted in the n = {nu} → n = {nl} transition of the "
         f"hydrogen-like ion {ion}?")
    return item(q, correct, wrong, "Quantum Mechanics")


@template("Physics", 3)
def decay_time(rng):
    iso, T, unit = rng.choice([("¹³¹I", 8.02, "days"), ("³²P", 14.27, "days"),
                               ("⁶⁰Co", 5.271, "years"), ("⁹⁹ᵐTc", 6.007, "hours"),
                               ("¹⁸F", 109.8, "minutes"), ("⁹⁰Sr", 28.79, "years"),
                               ("²²²Rn", 3.823, "days")])
    A0 = rng.choice([250, 370, 500, 800, 1200])
    ratio = rng.choice([3, 5, 6, 12, 20, 50, 100, 1000])
    A = float(fmt(A0 / ratio))          # the activity exactly as printed
    ratio = A0 / A
    t = T * math.log2(ratio)
    correct, wrong = numeric(
        t, [T * math.log(ratio),              # ln where log2 belongs
            T * math.log10(ratio),            # log10 where log2 belongs
            2 * T * (1 - 1 / ratio)],         # linear decay, half per half-life
        lambda v: f"{fmt(v)} {unit}")
    q = (f"A freshly prepared {iso} source (half-life {T:g} {unit}) has an activity of {A0} MBq. "
         f"After how long will its activity have fallen to {fmt(A)} MBq?")
    return item(q, correct, wrong, "Physics (general)")


@template("Physics", 3)
def spin_measurement(rng):
    a, b = rng.choice([(1, 2), (2, 1), (1, 3), (3, 1), (2, 3), (3, 2), (1, -2), (2, -1), (3, -1),
                       (1, -3), (3, 4), (4, -3), (1, 4), (5, -2)])
    mode = rng.choice(["real-x", "real-y", "imag-x", "imag-y"])
    n2 = a * a + b * b
    imag = mode.startswith("imag")
    axis = mode[-1]

    def coef(v, first):
        mag = "" if abs(v) == 1 else str(abs(v))
        unit = "i" if imag and not first else ""
        sign = "−" if v < 0 else ("" if first else "+")
        return sign, mag + unit

    s1, c1 = coef(a, True)
    s2, c2 = coef(b, False)
    root = math.isqrt(n2)
    pref = f"(1/{root})" if root * root == n2 else f"(1/√{n2})"
    state = f"{pref}({s1}{c1}|↑⟩ {s2} {c2}|↓⟩)"
    along = Fraction((a + b) ** 2, 2 * n2)     # |<+n|ψ>|² for the matching axis
    if (mode == "real-x") or (mode == "imag-y"):
        p = along
        wrong = [Fraction(a * a, n2), Fraction((a - b) ** 2, 2 * n2), Fraction(1, 2)]
    else:
        p = Fraction(1, 2)
        wrong = [along, Fraction(a * a, n2), Fraction((a - b) ** 2, 2 * n2)]
    correct = frac(p)
    inc = distinct(correct, [frac(w) for w in wrong] + [frac(1 - p), frac(p / 2), "1"])
    q = (f"A spin-1/2 particle is prepared in the normalized state |ψ⟩ = {state}, where |↑⟩ and "
         f"|↓⟩ are the eigenstates of S_z. If S_{axis} is then measured, what is the probability "
         f"of obtaining +ħ/2?")
    return item(q, correct, inc, "Quantum Mechanics")


@template("Physics", 3)
def cyclotron_radius(rng):
    name, m, z = rng.choice([("A proton", M_P, 1), ("A deuteron", M_D, 1),
                             ("An alpha particle", M_ALPHA, 2)])
    K = rng.choice([1.0, 2.0, 4.0, 5.0, 8.0, 10.0, 15.0])   # MeV
    B = rng.choice([0.50, 0.80, 1.00, 1.20, 1.50, 2.00])   # T
    r = math.sqrt(2 * m * K * 1e6 * E_CHARGE) / (z * E_CHARGE * B) * 100
    correct, wrong = numeric(
        r, [r * z if z > 1 else None,   # used charge e for the alpha
            r / math.sqrt(2),           # p = sqrt(mK)
            r * math.sqrt(2),           # p = sqrt(4mK)
            2 * r],                     # gave the diameter
        lambda v: f"{fmt(v)} cm")
    q = (f"{name} with kinetic energy {num_str(K)} MeV moves perpendicular to a uniform "
         f"{B:.2f} T magnetic field. Treating it nonrelativistically, what is the radius of its "
         f"circular orbit?")
    return item(q, correct, wrong, "Electromagnetism and Photonics")


@template("Physics", 3)
def adiabatic_compression(rng):
    gas, g, g_other = rng.choice([
        ("argon (treat it as a monatomic ideal gas)", 5 / 3, 7 / 5),
        ("nitrogen (treat it as a diatomic ideal gas with frozen vibrations)", 7 / 5, 5 / 3)])
    T1 = rng.choice([280, 290, 293, 300, 310])
    r = rng.choice([4, 5, 8, 10, 12, 16, 20])
    T2 = T1 * r ** (g - 1)
    correct, wrong = numeric(
        T2, [T1 * r ** (g_other - 1),          # wrong heat-capacity ratio
             T1 * r ** ((g - 1) / g),          # pressure-ratio formula with a volume ratio
             T1 * r ** (1 / g)],               # exponent 1/γ
        lambda v: f"{v:.0f} K")
    q = (f"A sample of {gas}, initially at {T1} K, is compressed reversibly and adiabatically to "
         f"1/{r} of its initial volume. What is its final temperature?")
    return item(q, correct, wrong, "Physics (general)")


@template("Physics", 3)
def two_level_population(rng):
    g1, g2 = rng.choice([(1, 3), (2, 4), (1, 2), (2, 6), (1, 5), (4, 2)])
    dE = rng.choice([5, 10, 15, 25, 40, 50, 80, 100])      # meV
    T = rng.choice([77, 150, 300, 500, 1000])               # K
    x = dE * 1e-3 * E_CHARGE / (K_B * T)
    if x > 18:
        raise Unusable("population too small")
    ratio = g2 / g1 * math.exp(-x)
    correct, wrong = numeric(
        ratio, [math.exp(-x),                   # ignored degeneracies
                g1 / g2 * math.exp(-x),         # inverted the degeneracy ratio
                g2 / g1 * math.exp(-x / 2)],    # factor 2 in the exponent
        lambda v: fmt(v))
    q = (f"An atom has a ground level of degeneracy {g1} and an excited level of degeneracy {g2} "
         f"lying {dE} meV above it. In thermal equilibrium at {T} K, what is the ratio of the "
         f"number of atoms in the excited level to the number in the ground level?")
    return item(q, correct, wrong, "Statistical Mechanics")


@template("Physics", 3)
def kepler_period(rng):
    M = rng.choice([0.50, 0.80, 1.2, 1.5, 2.0, 3.0])
    a = rng.choice([0.050, 0.30, 0.75, 1.5, 2.5, 5.0, 10, 30])
    T = math.sqrt(a ** 3 / M)
    if T < 1:
        unit, k = "days", 365.25
    else:
        unit, k = "years", 1.0
    correct, wrong = numeric(
        T * k, [math.sqrt(a ** 3 * M) * k,          # multiplied by the mass
                a ** 1.5 * k,                       # ignored the stellar mass
                (a ** 3 / M) ** (1 / 3) * k],       # cube root instead of square root
        lambda v: f"{fmt(v)} {unit}")
    q = (f"A planet of negligible mass follows a circular orbit of radius {num_str(a)} AU around a "
         f"star of {num_str(M)} solar masses. What is its orbital period?")
    return item(q, correct, wrong, "Astrophysics")


@template("Physics", 3)
def stefan_boltzmann(rng):
    R = rng.choice([0.15, 0.50, 1.8, 2.5, 8.0, 25, 60])
    T = rng.choice([3100, 3900, 4600, 6400, 8200, 9900, 15000])
    t = T / 5772
    L = R * R * t ** 4
    correct, wrong = numeric(
        L, [R * t ** 4,             # forgot to square the radius
            R * R * t ** 2,         # T² instead of T⁴
            (R * t) ** 4],          # raised the radius to the fourth power too
        lambda v: f"{fmt(v)} L☉")
    q = (f"A star has a radius of {num_str(R)} R☉ and an effective temperature of {T} K. Taking "
         f"the Sun's effective temperature as 5772 K, what is the star's luminosity in units of "
         f"the solar luminosity L☉?")
    return item(q, correct, wrong, "Astrophysics")


@template("Physics", 3)
def thin_film(rng):
    lam = rng.choice([450, 480, 520, 550, 589, 600, 633, 650])
    if rng.random() < 0.5:
        n = rng.choice([1.33, 1.35, 1.40])
        t = 3 * lam / (4 * n)
        correct, wrong = numeric(
            t, [lam / (2 * n),          # ignored the reflection phase shift
                lam / (4 * n),          # the thinnest, not the second-thinnest
                3 * lam / 4],           # forgot the film's index
            lambda v: f"{fmt(v)} nm")
        q = (f"A thin soap film (n = {n:.2f}) in air is illuminated at normal incidence with "
             f"{lam} nm light. What is the second-smallest film thickness for which the reflected "
             f"light shows constructive interference?")
    else:
        name, nc = rng.choice([("magnesium fluoride", 1.38), ("cryolite", 1.35)])
        ng = rng.choice([1.52, 1.60, 1.72])
        t = lam / (4 * nc)
        correct, wrong = numeric(
            t, [lam / (2 * nc),         # assumed one phase shift only
                lam / 4,                # forgot the coating's index
                lam / (4 * ng)],        # used the glass's index
            lambda v: f"{fmt(v)} nm")
        q = (f"A glass lens (n = {ng:.2f}) is coated with a thin layer of {name} (n = {nc:.2f}) to "
             f"suppress reflection of {lam} nm light at normal incidence. What is the minimum "
             f"nonzero coating thickness that gives destructive interference in reflection?")
    return item(q, correct, wrong, "Optics and Acoustics")


@template("Physics", 3)
def two_body_decay(rng):
    if rng.random() < 0.4:
        parent, proc, M, child, m = rng.choice([
            ("π⁺", "π⁺ → μ⁺ν_μ", 139.570, "muon", 105.658),
            ("K⁺", "K⁺ → μ⁺ν_μ", 493.677, "muon", 105.658),
            ("D_s⁺", "D_s⁺ → τ⁺ν_τ", 1968.35, "tau lepton", 1776.86)])
        q = (f"A {parent} at rest (mass {M} MeV/c²) decays via {proc}. Treating the neutrino as "
             f"massless and taking the {child} mass as {m} MeV/c², what is the magnitude of the "
             f"{child}'s momentum?")
    else:
        M = rng.choice([250, 400, 600, 750, 1200, 1800, 2500])
        m = rng.choice([35, 60, 105.7, 140, 200, 320])
        if m >= 0.8 * M:
            raise Unusable("too little phase space")
        q = (f"A hypothetical scalar particle X of mass {M} MeV/c² decays at rest into a charged "
             f"particle of mass {num_str(m)} MeV/c² and a massless neutrino. What is the magnitude "
             f"of the charged particle's momentum in the X rest frame?")
    p = (M * M - m * m) / (2 * M)
    correct, wrong = numeric(
        p, [M - m,                          # took the Q-value for the momentum
            (M * M + m * m) / (2 * M),      # gave the charged particle's energy
            (M * M - m * m) / M],           # dropped the 2
        lambda v: f"{fmt(v, 4)} MeV/c")
    return item(q, correct, wrong, "High-energy particle physics")


@template("Physics", 3)
def fermi_energy(rng):
    metal, n = rng.choice([("lithium", 4.70e28), ("sodium", 2.65e28), ("potassium", 1.40e28),
                           ("copper", 8.47e28), ("silver", 5.86e28), ("gold", 5.90e28),
                           ("aluminium", 18.1e28), ("magnesium", 8.61e28), ("zinc", 13.2e28)])
    ef = HBAR ** 2 / (2 * M_E) * (3 * math.pi ** 2 * n) ** (2 / 3) / E_CHARGE
    correct, wrong = numeric(
        ef, [ef * 2 ** (2 / 3),      # 6π²n: forgot the spin degeneracy
             ef * 2,                 # ħ²k²/m
             ef * 3 ** (-2 / 3)],    # π²n: dropped the 3
        lambda v: f"{fmt(v)} eV")
    q = (f"Treating the conduction electrons of {metal} as a free-electron gas with number density "
         f"{fmt(n)} m^-3, what is the Fermi energy at T = 0?")
    return item(q, correct, wrong, "Condensed Matter Physics")


@template("Physics", 3)
def skin_depth(rng):
    metal, rho = rng.choice([("copper", 1.68e-8), ("aluminium", 2.65e-8), ("silver", 1.59e-8),
                             ("gold", 2.44e-8), ("tungsten", 5.60e-8)])
    f, fs = rng.choice([(60, "60 Hz"), (1e3, "1.00 kHz"), (1e5, "100 kHz"), (1e6, "1.00 MHz"),
                        (1e7, "10.0 MHz"), (1e8, "100 MHz"), (2.45e9, "2.45 GHz")])
    delta = math.sqrt(rho / (math.pi * f * MU0))
    correct, wrong = numeric(
        delta, [delta / math.sqrt(2),               # lost the 2 in sqrt(2ρ/ωμ)
                delta * math.sqrt(2 * math.pi),     # f where ω belongs
                delta * math.sqrt(math.pi)],        # ω = f·2 slip
        scaled_renderer(delta, LENGTHS))
    q = (f"An electromagnetic wave at {fs} is incident on a thick slab of {metal} (resistivity "
         f"{fmt(rho)} Ω·m, μ ≈ μ0). What is the skin depth in the metal?")
    return item(q, correct, wrong, "Electromagnetism and Photonics")


# =============================================================================================
# Chemistry
# =============================================================================================


@template("Chemistry", 4)
def clausius_clapeyron(rng):
    name, t1c, dH = rng.choice([
        ("water", 100.0, 40.7), ("ethanol", 78.4, 38.6), ("methanol", 64.7, 35.2),
        ("benzene", 80.1, 30.7), ("acetone", 56.1, 29.1), ("diethyl ether", 34.6, 26.5),
        ("toluene", 110.6, 33.2), ("chloroform", 61.2, 29.2), ("cyclohexane", 80.7, 30.0)])
    T1 = t1c + 273.15
    P2 = rng.choice([250, 300, 400, 450, 500, 525, 600, 650, 700])
    ln = math.log(P2 / 760)
    dHj = dH * 1e3
    T2 = 1 / (1 / T1 - R_GAS * ln / dHj)
    wrong = [1 / (1 / T1 + R_GAS * ln / dHj) - 273.15,                # sign error
             1 / (1 / T1 - R_GAS * math.log10(P2 / 760) / dHj) - 273.15,  # log10 for ln
             1 / (1 / t1c - R_GAS * ln / dHj)]                          # used °C in 1/T
    correct = f"{T2 - 273.15:.1f} °C"
    inc = distinct(correct, [f"{w:.1f} °C" for w in wrong] +
                   [f"{T2 - 273.15 + d:.1f} °C" for d in (-5, 5, -10)])
    q = (f"The normal boiling point of {name} is {t1c:.1f} °C and its enthalpy of vaporization is "
         f"{dH} kJ/mol (assume it is constant). Using the Clausius–Clapeyron equation, estimate "
         f"its boiling point under an external pressure of {P2} Torr.")
    return item(q, correct, inc, "Physical Chemistry")


@template("Chemistry", 4)
def nernst_cell(rng):
    cell, ion_a, ion_c, E0, squared = rng.choice([
        ("Zn(s) | Zn²⁺(aq) ‖ Cu²⁺(aq) | Cu(s)", "Zn²⁺", "Cu²⁺", 1.100, False),
        ("Zn(s) | Zn²⁺(aq) ‖ Ag⁺(aq) | Ag(s)", "Zn²⁺", "Ag⁺", 1.562, True),
        ("Cu(s) | Cu²⁺(aq) ‖ Ag⁺(aq) | Ag(s)", "Cu²⁺", "Ag⁺", 0.460, True),
        ("Mg(s) | Mg²⁺(aq) ‖ Cu²⁺(aq) | Cu(s)", "Mg²⁺", "Cu²⁺", 2.712, False),
        ("Ni(s) | Ni²⁺(aq) ‖ Ag⁺(aq) | Ag(s)", "Ni²⁺", "Ag⁺", 1.057, True)])
    ca, cc = rng.sample([0.0010, 0.0050, 0.010, 0.050, 0.10, 0.50, 1.0, 2.0], 2)
    Q = ca / (cc ** 2 if squared else cc)
    if abs(math.log(Q)) < 0.5:
        raise Unusable("Q too close to 1")
    k = R_GAS * 298.15 / FARADAY
    E = E0 - k / 2 * math.log(Q)
    wrong = [E0 - k * math.log(Q),                            # n = 1
             E0 + k / 2 * math.log(Q),                        # inverted Q
             E0 - k / 2 * math.log(ca / cc) if squared else None,   # forgot the square
             E0 - k / 2 * math.log10(Q)]                      # log10 without 2.303
    correct = f"{E:.3f} V"
    inc = distinct(correct, [f"{w:.3f} V" for w in wrong if w is not None])
    q = (f"The galvanic cell {cell} is operated at 25 °C with [{ion_a}] = {fmt(ca)} M and "
         f"[{ion_c}] = {fmt(cc)} M. Given E°cell = {E0:.3f} V, what is the cell potential?")
    return item(q, correct, inc, "Chemistry (general)")


@template("Chemistry", 4)
def buffer_ph(rng):
    acid, pKa = rng.choice([("acetic acid", 4.76), ("formic acid", 3.75), ("benzoic acid", 4.20),
                            ("lactic acid", 3.86), ("propanoic acid", 4.87),
                            ("hypochlorous acid", 7.53), ("nitrous acid", 3.35)])
    Va = rng.choice([25.0, 40.0, 50.0])
    Ca = rng.choice([0.100, 0.150, 0.200])
    Cb = rng.choice([0.100, 0.120, 0.200])
    Vb = rng.choice([5.00, 10.0, 15.0, 20.0, 25.0, 30.0])
    na, nb = Va * Ca, Vb * Cb
    r = nb / na
    if not 0.12 < r < 0.88:
        raise Unusable("not a buffer")
    pH = pKa + math.log10(nb / (na - nb))
    wrong = [pKa + math.log10((na - nb) / nb),    # inverted ratio
             pKa + math.log10(nb / na),           # forgot to subtract the neutralized acid
             pKa + math.log10(Cb / Ca)]           # used stock concentrations
    correct = f"{pH:.2f}"
    inc = distinct(correct, [f"{w:.2f}" for w in wrong] + [f"{pKa:.2f}", f"{pH + 0.30:.2f}"])
    q = (f"{fmt(Vb)} mL of {fmt(Cb)} M NaOH is added to {fmt(Va)} mL of {fmt(Ca)} M {acid} "
         f"(pKa = {pKa:.2f}) at 25 °C. What is the pH of the resulting solution?")
    return item(q, correct, inc, "Analytical Chemistry")


@template("Chemistry", 4)
def first_order_time(rng):
    rxn = rng.choice([
        "the decomposition of N₂O₅ dissolved in CCl₄",
        "the gas-phase isomerization of cyclopropane to propene",
        "the thermal ring opening of cyclobutene to 1,3-butadiene",
        "the decomposition of SO₂Cl₂ to SO₂ and Cl₂",
        "the hydrolysis of an activated ester in a large excess of buffered water",
        "the unimolecular elimination of HCl from chloroethane"])
    th, unit = rng.choice([(12.5, "min"), (27.0, "min"), (3.40, "h"), (45.0, "s"), (8.20, "h"),
                           (96.0, "s")])
    f = rng.choice([0.60, 0.70, 0.80, 0.90, 0.95, 0.99, 0.999])
    t = th * math.log2(1 / (1 - f))
    correct, wrong = numeric(
        t, [th * math.log(1 / (1 - f)),     # treated t½ as the time constant
            2 * f * th,                     # linear (zero-order-like) consumption
            th * math.log2(1 / f)],         # swapped consumed and remaining fractions
        lambda v: f"{fmt(v)} {unit}")
    q = (f"Under the conditions used, {rxn} is first order with a half-life of {th:g} {unit}. "
         f"How long does it take for {f * 100:g}% of the reactant to be consumed?")
    return item(q, correct, wrong, "Physical Chemistry")


@template("Chemistry", 4)
def arrhenius(rng):
    t1 = rng.choice([20, 25, 30, 37])
    dt = rng.choice([10, 15, 20, 25])
    fac = rng.choice([2.0, 2.5, 3.0, 4.0, 5.0])
    T1, T2 = t1 + 273.15, t1 + dt + 273.15
    Ea = R_GAS * math.log(fac) / (1 / T1 - 1 / T2) / 1e3
    correct, wrong = numeric(
        Ea, [Ea / math.log(10),          # log10 where ln belongs
             Ea * math.log(10),          # multiplied by 2.303 instead of dividing
             Ea / 4.184],                # R in cal mol^-1 K^-1, result read as kJ
        lambda v: f"{fmt(v)} kJ/mol")
    q = (f"The rate constant of a reaction increases by a factor of {fac:g} when the temperature is "
         f"raised from {t1} °C to {t1 + dt} °C. Assuming Arrhenius behaviour with a "
         f"temperature-independent pre-exponential factor, what is the activation energy?")
    return item(q, correct, wrong, "Physical Chemistry")


@template("Chemistry", 4)
def isothermal_work(rng):
    n = rng.choice([0.500, 1.00, 1.50, 2.00, 2.50, 3.00])
    T = rng.choice([273, 298, 300, 350, 400, 500])
    P1, P2 = rng.choice([(10.0, 1.00), (5.00, 1.00), (8.00, 2.00), (3.00, 1.00), (20.0, 2.50),
                         (6.00, 1.50), (4.00, 0.500)])
    nrt = n * R_GAS * T / 1e3
    w = nrt * math.log(P1 / P2)
    correct, wrong = numeric(
        w, [nrt * (1 - P2 / P1),          # irreversible expansion against P2
            nrt * math.log10(P1 / P2),    # log10 for ln
            nrt * (P1 / P2 - 1)],         # ratio without the logarithm
        lambda v: f"{fmt(v)} kJ")
    q = (f"{n:.2f} mol of an ideal gas expands isothermally and reversibly at {T} K from {P1:g} bar "
         f"to {P2:g} bar. How much work does the gas do on its surroundings?")
    return item(q, correct, wrong, "Physical Chemistry")


MULTIPLETS = ["singlet", "doublet", "triplet", "quartet", "quintet", "sextet", "septet", "octet",
              "nonet"]

NMR_CASES = [
    # compound, group, number of equivalent vicinal neighbours, H in the group, a wrong H count
    ("1-bromopropane", "the central CH₂ group", 5, 2, 3),
    ("2-bromopropane", "the methine (CH) proton", 6, 1, 6),
    ("ethyl acetate", "the OCH₂ protons", 3, 2, 3),
    ("1-chloro-2-methylpropane", "the methine (CH) proton", 8, 1, 2),
    ("diethyl ether", "the CH₂ protons", 3, 4, 2),
    ("3-pentanone", "the CH₂ protons", 3, 4, 2),
    ("2-butanone", "the CH₂ protons", 3, 2, 3),
    ("1-nitropropane", "the central CH₂ group", 5, 2, 3),
    ("cumene (isopropylbenzene)", "the benzylic CH proton", 6, 1, 6),
    ("isopropyl acetate", "the OCH proton", 6, 1, 3),
    ("1,1-dichloroethane", "the CHCl₂ proton", 3, 1, 3),
    ("1,1,2-trichloroethane", "the CH₂Cl protons", 1, 2, 1),
    ("1,1,2-trichloroethane", "the CHCl₂ proton", 2, 1, 2),
    ("1-iodobutane", "the ICH₂ protons", 2, 2, 3),
    ("propyl acetate", "the OCH₂ protons", 2, 2, 3),
    ("1,3-dibromopropane", "the central CH₂ group", 4, 2, 4),
    ("2-methylpropan-1-ol", "the methine (CH) proton", 8, 1, 2),   # the only one with an OH
]


@template("Chemistry", 4)
def nmr_multiplicity(rng):
    cpd, group, n, h, h_wrong = rng.choice(NMR_CASES)

    def s(k, hh):
        return f"{MULTIPLETS[k]}, {hh}H"

    correct = s(n, h)
    inc = distinct(correct, [s(n - 1, h), s(n + 1, h), s(n, h_wrong), s(n - 1, h_wrong),
                             s(n + 1, h_wrong)])
    ignore = "coupling to the OH proton and long-range coupling" if cpd.endswith("-ol") else \
        "long-range coupling"
    q = (f"In the first-order ¹H NMR spectrum of {cpd} in CDCl₃, assuming all vicinal H–H "
         f"couplings are equal and ignoring {ignore}, what multiplicity and integration are "
         f"expected for {group}?")
    return item(q, correct, inc, "Organic Chemistry")


@template("Chemistry", 4)
def degrees_of_unsaturation(rng):
    c = rng.randint(4, 14)
    d = rng.randint(1, 8)
    nN = rng.choice([0, 0, 1, 1, 2, 3])
    nX = rng.choice([0, 0, 1, 2])
    nO = rng.choice([0, 1, 2, 3, 4])
    X = rng.choice(["Cl", "Br", "F"])
    h = 2 * c + 2 + nN - nX - 2 * d
    if h < 2 or d > c or nN + nX + nO == 0:
        raise Unusable("implausible formula")
    parts = [("C", c), ("H", h), (X, nX), ("N", nN), ("O", nO)]
    head, tail = parts[:2], sorted(parts[2:])          # Hill order
    formula = "".join(f"{el}{k if k > 1 else ''}".translate(SUBSCRIPT)
                      for el, k in head + tail if k > 0)
    cands = [d - nN if nN else None, d + nX if nX else None, d + 1, d - 1, d + 2, d - 2]
    inc = distinct(str(d), [str(v) for v in cands if v is not None and v >= 0])
    q = (f"High-resolution mass spectrometry and elemental analysis establish the molecular formula "
         f"of an unknown compound as {formula}. How many degrees of unsaturation (rings plus π "
         f"bonds) does it have?")
    return item(q, str(d), inc, "Organic Chemistry")


ATOM_MASS = {"H": 1.00782503, "D": 2.01410178, "C12": 12.0, "C13": 13.00335484,
             "O16": 15.99491462, "O18": 17.99915961, "F": 18.99840316, "Cl35": 34.96885268,
             "Cl37": 36.96590260, "Br79": 78.9183371, "I": 126.9044719, "N14": 14.00307401,
             "N15": 15.00010890}


@template("Chemistry", 4)
def isotope_shift(rng):
    m1, atoms1, nu, m2, atoms2, sub = rng.choice([
        ("H³⁵Cl", ("H", "Cl35"), 2886, "D³⁵Cl", ("D", "Cl35"), ("H", "D")),
        ("H⁷⁹Br", ("H", "Br79"), 2559, "D⁷⁹Br", ("D", "Br79"), ("H", "D")),
        ("H¹²⁷I", ("H", "I"), 2230, "D¹²⁷I", ("D", "I"), ("H", "D")),
        ("HF", ("H", "F"), 3962, "DF", ("D", "F"), ("H", "D")),
        ("¹²C¹⁶O", ("C12", "O16"), 2143, "¹³C¹⁶O", ("C13", "O16"), ("C12", "C13")),
        ("¹²C¹⁶O", ("C12", "O16"), 2143, "¹²C¹⁸O", ("C12", "O18"), ("O16", "O18")),
        ("¹⁴N¹⁶O", ("N14", "O16"), 1876, "¹⁵N¹⁶O", ("N15", "O16"), ("N14", "N15")),
        ("¹⁴N¹⁶O", ("N14", "O16"), 1876, "¹⁴N¹⁸O", ("N14", "O18"), ("O16", "O18"))])

    def mu(atoms):
        a, b = (ATOM_MASS[x] for x in atoms)
        return a * b / (a + b)

    u1, u2 = mu(atoms1), mu(atoms2)
    nu2 = nu * math.sqrt(u1 / u2)
    correct, wrong = numeric(
        nu2, [nu * u1 / u2,                                                 # forgot the square root
              nu * math.sqrt(ATOM_MASS[sub[0]] / ATOM_MASS[sub[1]]),        # atom masses, not μ
              nu * math.sqrt(u2 / u1)],                                     # inverted ratio
        lambda v: f"{v:.0f} cm^-1")
    q = (f"The fundamental vibrational band of gas-phase {m1} lies at {nu} cm^-1. Treating the "
         f"molecule as a harmonic oscillator and assuming the force constant is unchanged by "
         f"isotopic substitution, at what wavenumber is the fundamental of {m2} expected?")
    return item(q, correct, wrong, "Physical Chemistry")


@template("Chemistry", 4)
def gibbs_equilibrium(rng):
    dG = rng.choice([-30.0, -22.5, -12.5, -5.70, 4.20, 8.50, 15.0, 22.8])   # kJ/mol
    T = rng.choice([298.15, 350.0, 400.0, 500.0, 700.0])
    x = -dG * 1e3 / (R_GAS * T)
    correct, wrong = numeric(
        math.exp(x), [math.exp(-x),                 # sign of ΔG° flipped
                      10 ** x,                      # base-10 exponential
                      math.exp(x / 1e3)],           # kJ not converted to J
        lambda v: fmt(v))
    q = (f"For a gas-phase reaction, ΔG° = {dG:+.2f} kJ/mol at {T:g} K. What is the "
         f"thermodynamic equilibrium constant K at this temperature?")
    return item(q, correct, wrong, "Physical Chemistry")


COMPLEXES = [
    # formula, geometry, unpaired electrons, unpaired electrons of the other spin state (or None)
    ("[Fe(CN)₆]⁴⁻", "octahedral", 0, 4), ("[Fe(H₂O)₆]²⁺", "octahedral", 4, 0),
    ("[Fe(H₂O)₆]³⁺", "octahedral", 5, 1), ("[Fe(CN)₆]³⁻", "octahedral", 1, 5),
    ("[Co(NH₃)₆]³⁺", "octahedral", 0, 4), ("[CoF₆]³⁻", "octahedral", 4, 0),
    ("[Mn(H₂O)₆]²⁺", "octahedral", 5, 1), ("[Cr(H₂O)₆]³⁺", "octahedral", 3, None),
    ("[Ni(H₂O)₆]²⁺", "octahedral", 2, None), ("[Mn(CN)₆]³⁻", "octahedral", 2, 4),
    ("[Cr(H₂O)₆]²⁺", "octahedral", 4, 2), ("[Co(H₂O)₆]²⁺", "octahedral", 3, 1),
    ("[Ni(CN)₄]²⁻", "square-planar", 0, 2), ("[NiCl₄]²⁻", "tetrahedral", 2, None),
    ("[Ti(H₂O)₆]³⁺", "octahedral", 1, None), ("[Mn(CN)₆]⁴⁻", "octahedral", 1, 5),
    ("[V(H₂O)₆]³⁺", "octahedral", 2, None),
]


@template("Chemistry", 4)
def spin_only_moment(rng):
    formula, geom, n, alt = rng.choice(COMPLEXES)

    def mu(k):
        return f"{math.sqrt(k * (k + 2)):.2f} μB"

    correct = mu(n)
    cands = [mu(alt) if alt is not None else None] + [
        mu(k) for k in (n + 1, n - 1, n + 2, n - 2, n + 3) if 0 <= k <= 5]
    inc = distinct(correct, cands)
    q = (f"Using the spin-only formula, what effective magnetic moment is expected for the "
         f"{geom} complex ion {formula}?")
    return item(q, correct, inc, "Inorganic Chemistry")


@template("Chemistry", 4)
def beer_lambert(rng):
    eps = rng.choice([2450, 6220, 14600, 18300, 45000])
    b = rng.choice([0.500, 1.00, 2.00])
    T = rng.choice([12.5, 20.0, 25.0, 35.0, 45.0, 60.0, 72.0])
    vs, vf = rng.choice([(1.00, 25.0), (2.00, 50.0), (5.00, 100.0), (0.500, 10.0),
                         (10.0, 250.0)])
    D = vf / vs
    A = -math.log10(T / 100)
    c = D * A / (eps * b)
    correct, wrong = numeric(
        c, [A / (eps * b),                                # forgot the dilution
            D * math.log(100 / T) / (eps * b),            # ln instead of log10
            D * A / eps if b != 1 else None,              # forgot the path length
            A / (eps * b * D)],                           # divided by the dilution factor
        lambda v: f"{fmt(v)} M")
    q = (f"A {vs:g} mL aliquot of a stock solution is diluted to {vf:g} mL. In a {b:g} cm cuvette, "
         f"the diluted solution transmits {T:g}% of the incident light at a wavelength where the "
         f"analyte's molar absorptivity is {eps} L mol^-1 cm^-1. What is the analyte concentration "
         f"in the stock solution?")
    return item(q, correct, wrong, "Analytical Chemistry")


STEREO_CASES = [
    # compound, number of configurational stereoisomers, tempting wrong counts
    ("2,3-dibromobutane", 3, [4, 2, 1]),
    ("tartaric acid (2,3-dihydroxybutanedioic acid)", 3, [4, 2, 1]),
    ("pentane-2,4-diol", 3, [4, 2, 1]),
    ("2-bromo-3-chlorobutane", 4, [3, 2, 8]),
    ("2,3,4-trihydroxypentanedioic acid", 4, [8, 3, 6]),
    ("an open-chain aldopentose (2,3,4,5-tetrahydroxypentanal)", 8, [16, 4, 6]),
    ("an open-chain aldohexose (2,3,4,5,6-pentahydroxyhexanal)", 16, [32, 8, 10]),
    ("an open-chain 2-ketohexose (1,3,4,5,6-pentahydroxyhexan-2-one)", 8, [16, 4, 6]),
    ("1,2-dimethylcyclohexane", 3, [4, 2, 1]),
    ("1,3-dimethylcyclohexane", 3, [4, 2, 1]),
    ("1,4-dimethylcyclohexane", 2, [4, 3, 1]),
    ("1,2-dimethylcyclopropane", 3, [4, 2, 1]),
    ("1-bromo-2-chlorocyclohexane", 4, [3, 2, 8]),
    ("pentane-2,3,4-triol", 4, [8, 3, 2]),
    ("pentane-1,2,3,4,5-pentol", 4, [8, 3, 6]),
    ("3-methylcyclohexan-1-ol", 4, [3, 2, 8]),
    ("4-methylcyclohexan-1-ol", 2, [4, 3, 1]),
    ("hexa-2,4-diene", 3, [4, 2, 1]),
    ("penta-2,3-diene", 2, [1, 4, 3]),
    ("cyclohexane-1,2,3,4,5,6-hexol (inositol)", 9, [64, 32, 8]),
    ("4-chloropent-2-ene", 4, [2, 3, 8]),
    ("2,5-dimethylhexane-3,4-diol", 3, [4, 2, 1]),
    ("1,3-dichloropropa-1,2-diene", 2, [1, 4, 3]),
]


@template("Chemistry", 4)
def stereoisomer_count(rng):
    cpd, n, wrong = rng.choice(STEREO_CASES)
    inc = distinct(str(n), [str(w) for w in wrong] + [str(n + 1), str(n - 1), str(2 * n)])
    q = (f"Counting all configurational stereoisomers (enantiomers and diastereomers, including any "
         f"meso forms, but not conformers), how many stereoisomers exist for {cpd}?")
    return item(q, str(n), inc, "Organic Chemistry")


@template("Chemistry", 4)
def weak_acid_ph(rng):
    acid, Ka = rng.choice([("acetic acid", 1.75e-5), ("hydrofluoric acid", 6.8e-4),
                           ("nitrous acid", 4.5e-4), ("hydrocyanic acid", 6.2e-10),
                           ("hypochlorous acid", 3.0e-8), ("chloroacetic acid", 1.36e-3),
                           ("formic acid", 1.8e-4), ("benzoic acid", 6.3e-5)])
    C = rng.choice([0.00100, 0.0100, 0.0500, 0.100, 0.250])

    def f(h):   # charge balance with water autoionization
        return h ** 3 + Ka * h ** 2 - (Ka * C + KW) * h - Ka * KW

    lo, hi = 1e-14, 1.0
    for _ in range(200):
        mid = math.sqrt(lo * hi)
        if f(mid) > 0:
            hi = mid
        else:
            lo = mid
    pH = -math.log10(math.sqrt(lo * hi))
    approx = 0.5 * (-math.log10(Ka) - math.log10(C))
    wrong = [approx,                         # x ≪ C approximation
             -math.log10(C),                 # treated as a strong acid
             -math.log10(Ka),                # pH = pKa
             -math.log10(Ka * C)]            # forgot the square root
    correct = f"{pH:.2f}"
    inc = distinct(correct, [f"{w:.2f}" for w in wrong])
    q = (f"What is the pH of a {fmt(C)} M aqueous solution of {acid} (Ka = {fmt(Ka)}) at "
         f"25 °C? Do not assume that the acid is only slightly dissociated (Kw = 1.0 × 10^-14).")
    return item(q, correct, inc, "Chemistry (general)")


# =============================================================================================
# Biology
# =============================================================================================


@template("Biology", 3)
def hw_carriers(rng):
    N = rng.choice([1600, 2500, 3600, 4900, 6400, 8100, 10000, 14400, 22500, 40000, 90000])
    q_ = 1 / math.sqrt(N)
    p_ = 1 - q_
    correct, wrong = numeric(
        2 * p_ * q_, [q_,               # gave the allele frequency
                      p_ * q_,          # forgot the 2
                      2 * q_ * q_],     # 2q² instead of 2pq
        lambda v: fmt(v))
    q = (f"An autosomal recessive disorder affects 1 in {N:,} newborns in a large, randomly mating "
         f"population at Hardy–Weinberg equilibrium. What fraction of the population are "
         f"heterozygous carriers?")
    return item(q, correct, wrong, "Genetics")


@template("Biology", 3)
def hw_child_risk(rng):
    N = rng.choice([400, 625, 900, 1600, 2500, 3600])
    q_ = 1 / math.sqrt(N)
    pc = 2 * q_ / (1 + q_)       # P(carrier | unaffected)
    correct, wrong = numeric(
        pc * pc / 4, [q_ * q_,              # population incidence
                      pc * pc,              # forgot the 1/4
                      pc / 4],              # only one parent needs to be a carrier
        lambda v: fmt(v))
    q = (f"An autosomal recessive condition affects 1 in {N:,} individuals in a population at "
         f"Hardy–Weinberg equilibrium. Two phenotypically unaffected, unrelated members of this "
         f"population have a child. What is the probability that the child is affected?")
    return item(q, correct, wrong, "Genetics")


def _gamete_a(g):
    """Fraction of a parent's gametes carrying the recessive allele."""
    return Fraction(g.count(g[0].lower()), 2)


@template("Biology", 4)
def multihybrid_cross(rng):
    k = rng.choice([3, 3, 4])
    letters = "ABCD"[:k]
    p1, p2 = [], []
    for L in letters:
        l = L.lower()
        p1.append(rng.choice([L + l, L + l, L + L, l + l]))
        p2.append(rng.choice([L + l, L + l, L + L, l + l]))
    if sum(1 for x, y in zip(p1, p2) if x[0] != x[1] or y[0] != y[1]) < 2:
        raise Unusable("fewer than two segregating loci")
    qa1 = [_gamete_a(g) for g in p1]
    qa2 = [_gamete_a(g) for g in p2]
    half = Fraction(1, 2)
    if rng.random() < 0.5:
        want = [rng.choice(["dominant", "recessive"]) for _ in letters]
        correct = wrong_hom = wrong_het = Fraction(1)
        for i in range(k):
            aa = qa1[i] * qa2[i]
            if want[i] == "dominant":
                correct *= 1 - aa
                wrong_hom *= (1 - qa1[i]) * (1 - qa2[i])     # counted only homozygous dominants
                wrong_het *= Fraction(3, 4)
            else:
                correct *= aa
                wrong_hom *= aa
                wrong_het *= Fraction(1, 4)
        dom = [L for L, w in zip(letters, want) if w == "dominant"]
        rec = [L for L, w in zip(letters, want) if w == "recessive"]
        bits = []
        if dom:
            bits.append("the dominant phenotype for " + and_join(dom))
        if rec:
            bits.append("the recessive phenotype for " + and_join(rec))
        target = "show " + " and ".join(bits)
    else:
        geno = []
        correct = wrong_hom = wrong_het = Fraction(1)
        for i, L in enumerate(letters):
            l = L.lower()
            options = []
            for g, pr, one_way, mono in (
                    (L + L, (1 - qa1[i]) * (1 - qa2[i]), (1 - qa1[i]) * (1 - qa2[i]), Fraction(1, 4)),
                    (L + l, (1 - qa1[i]) * qa2[i] + qa1[i] * (1 - qa2[i]),
                     (1 - qa1[i]) * qa2[i], half),
                    (l + l, qa1[i] * qa2[i], qa1[i] * qa2[i], Fraction(1, 4))):
                if pr > 0:
                    options.append((g, pr, one_way, mono))
            g, pr, one_way, mono = rng.choice(options)
            geno.append(g)
            correct *= pr
            wrong_hom *= one_way if one_way > 0 else pr      # counted one gamete combination
            wrong_het *= mono                                 # assumed Aa × Aa at every locus
        target = "have the genotype " + "".join(geno)
    if correct in (0, 1):
        raise Unusable("trivial")
    cands = [wrong_hom, wrong_het, correct * 2, correct / 2, 1 - correct, correct * 3 / 4]
    c_str = frac(correct)
    inc = distinct(c_str, [frac(c) for c in cands if 0 < c < 1])
    q = (f"In the cross {''.join(p1)} × {''.join(p2)}, the {k} genes assort independently and "
         f"each shows complete dominance. What fraction of the offspring will {target}?")
    return item(q, c_str, inc, "Genetics")


@template("Biology", 4)
def two_point_testcross(rng):
    A, B = rng.choice([("A", "B"), ("D", "E"), ("F", "G"), ("M", "N"), ("R", "S"), ("T", "U")])
    a, b = A.lower(), B.lower()
    N = rng.choice([400, 500, 800, 1000, 1200, 1500, 2000])
    r = rng.randint(5, 40) / 100
    rec = round(N * r)
    par = N - rec
    r1 = rec // 2 + rng.randint(-max(1, rec // 20), max(1, rec // 20))
    p1 = par // 2 + rng.randint(-max(1, par // 40), max(1, par // 40))
    rec_pair = (r1, rec - r1)
    par_pair = (p1, par - p1)
    if rng.random() < 0.5:       # coupling: F1 from AABB × aabb
        parents = f"{A}{A}{B}{B} and {a}{a}{b}{b}"
        counts = {A + B: par_pair[0], a + b: par_pair[1], A + b: rec_pair[0], a + B: rec_pair[1]}
    else:                        # repulsion: F1 from AAbb × aaBB
        parents = f"{A}{A}{b}{b} and {a}{a}{B}{B}"
        counts = {A + b: par_pair[0], a + B: par_pair[1], A + B: rec_pair[0], a + b: rec_pair[1]}
    listing = ", ".join(f"{g} {counts[g]}" for g in (A + B, A + b, a + B, a + b))
    correct, wrong = numeric(
        rec / N * 100, [par / N * 100,           # took the parental classes as recombinant
                        rec / par * 100,         # divided by the parentals, not the total
                        rec / (2 * N) * 100],    # halved
        lambda v: f"{v:.1f} cM")
    q = (f"A dihybrid F1 individual from a cross between true-breeding {parents} parents is "
         f"testcrossed to a homozygous recessive {a}{a}{b}{b} tester. The progeny, classified by the alleles received "
         f"from the F1 parent, are: {listing}. What is the map distance between the two loci?")
    return item(q, correct, wrong, "Genetics")


@template("Biology", 3)
def three_point_cross(rng):
    genes = list(rng.choice([("a", "b", "c"), ("d", "f", "g"), ("x", "y", "z"), ("p", "q", "r"),
                             ("k", "m", "n"), ("s", "t", "u")]))
    order = genes[:]
    rng.shuffle(order)            # map order: order[1] is in the middle
    N = rng.choice([1000, 1200, 1500, 2000])
    r1 = rng.randint(6, 22) / 100
    r2 = rng.randint(6, 22) / 100
    coc = rng.choice([0.3, 0.4, 0.5, 0.6, 0.7, 0.8])
    dco = round(N * coc * r1 * r2)
    if dco < 2:
        raise Unusable("too few double crossovers")
    sco1 = round(N * r1) - dco
    sco2 = round(N * r2) - dco
    par = N - sco1 - sco2 - dco

    def split(total):
        d = max(1, total // 40)
        x = total // 2 + rng.randint(-d, d)
        return x, total - x

    g0, g1, g2 = order
    classes = []   # (set of mutant genes, count)
    for (m1, m2), total in (((set(genes), set()), par), (({g0}, {g1, g2}), sco1),
                            (({g2}, {g0, g1}), sco2), (({g1}, {g0, g2}), dco)):
        c1, c2 = split(total)
        classes += [(m1, c1), (m2, c2)]
    classes.sort(key=lambda mc: -mc[1])

    def geno(mut):
        return " ".join(g if g in mut else "+" for g in genes)

    listing = "; ".join(f"{geno(m)}: {c}" for m, c in classes)
    s1 = sum(c for m, c in classes if m in ({g0}, {g1, g2}))
    s2 = sum(c for m, c in classes if m in ({g2}, {g0, g1}))
    dc = sum(c for m, c in classes if m in ({g1}, {g0, g2}))
    correct, wrong = numeric(
        (s1 + s2 + 2 * dc) / N * 100, [(s1 + s2 + dc) / N * 100,    # counted doubles once
                                       (s1 + s2) / N * 100,         # ignored doubles
                                       (s1 + dc) / N * 100],        # one interval only
        lambda v: f"{v:.1f} cM")
    q = (f"A Drosophila female heterozygous for three linked recessive mutations, carrying "
         f"{' '.join(genes)} on one homolog and the wild-type alleles on the other, is testcrossed "
         f"to a triple-mutant male. The {N:,} progeny, scored by the maternal chromosome (genes "
         f"listed in arbitrary order, not map order), are: {listing}. What is the map distance "
         f"between the two outermost genes?")
    return item(q, correct, wrong, "Genetics")


@template("Biology", 4)
def michaelis_menten_inhibitor(rng):
    Km = rng.choice([2.0, 5.0, 8.0, 12, 25, 40, 60])          # μM
    V = rng.choice([0.50, 1.2, 2.5, 10, 45])                   # μmol/min
    S = Km * rng.choice([0.25, 0.5, 1, 2, 4, 10])
    Ki = rng.choice([0.5, 1.0, 2.0, 5.0, 10, 20])
    I = rng.choice([1.0, 2.0, 5.0, 10, 20, 50])
    al = 1 + I / Ki
    kinds = {"competitive": V * S / (Km * al + S),
             "noncompetitive": V / al * S / (Km + S),
             "uncompetitive": V * S / (Km + S * al)}
    kind = rng.choice(sorted(kinds))
    wrong_vals = [kinds[k] for k in sorted(kinds) if k != kind] + [V * S / (Km + S)]
    correct, wrong = numeric(kinds[kind], wrong_vals, lambda v: f"{fmt(v)} μmol/min")
    note = (" (it binds the free enzyme and the enzyme–substrate complex with equal affinity)"
            if kind == "noncompetitive" else "")
    q = (f"An enzyme has Km = {num_str(Km)} μM and Vmax = {num_str(V)} μmol/min. A purely {kind} "
         f"inhibitor{note} with Ki = {num_str(Ki)} μM is present at {num_str(I)} μM. What is the "
         f"initial velocity at [S] = {num_str(S)} μM?")
    return item(q, correct, wrong, "Molecular Biology")


@template("Biology", 3)
def pcr_exact_products(rng):
    N0 = rng.choice([1, 2, 5, 10, 25, 100])
    n = rng.randint(3, 25)
    L = rng.choice([180, 250, 320, 450, 500, 640, 800, 1200])
    correct = N0 * (2 ** n - 2 * n)
    if correct <= 0:
        raise Unusable("no products")
    cands = [N0 * 2 ** n, N0 * (2 ** n - 2), N0 * (2 ** n - n), N0 * 2 ** (n - 1),
             N0 * (2 ** n - 2 * n - 2)]
    c_str = f"{correct:,}"
    inc = distinct(c_str, [f"{c:,}" for c in cands if c > 0])
    copies = "copy" if N0 == 1 else "copies"
    q = (f"A PCR is started with {N0} {copies} of a long double-stranded genomic DNA molecule, "
         f"using two primers that flank a {L} bp target. Assuming 100% efficiency and no reagent "
         f"limitation, how many double-stranded molecules consisting exactly of the {L} bp "
         f"primer-to-primer target are present after {n} cycles?")
    return item(q, c_str, inc, "Molecular Biology")


@template("Biology", 3)
def qpcr_delta_ct(rng):
    E = rng.choice([0.78, 0.80, 0.84, 0.85, 0.88, 0.90])
    F = rng.choice([4, 8, 10, 16, 32, 50, 100, 1000])
    d = math.log(F) / math.log(1 + E)
    correct, wrong = numeric(
        d, [math.log2(F),              # assumed 100% efficiency
            math.log2(F) / E,          # scaled by the efficiency
            math.log2(F) * E],         # scaled the other way
        lambda v: f"{fmt(v)} cycles")
    q = (f"A qPCR assay has an amplification efficiency of {E * 100:.0f}% (each cycle multiplies "
         f"the amount of product by {1 + E:.2f}). Sample X contains {F}-fold more target than "
         f"sample Y. By how many cycles will the Ct of sample X be lower than that of sample Y?")
    return item(q, correct, wrong, "Molecular Biology")


BASES = "UCAG"
AMINO = "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG"
THREE = {"A": "Ala", "R": "Arg", "N": "Asn", "D": "Asp", "C": "Cys", "Q": "Gln", "E": "Glu",
         "G": "Gly", "H": "His", "I": "Ile", "L": "Leu", "K": "Lys", "M": "Met", "F": "Phe",
         "P": "Pro", "S": "Ser", "T": "Thr", "W": "Trp", "Y": "Tyr", "V": "Val"}
CODE = {a + b + c: AMINO[16 * i + 4 * j + k]
        for i, a in enumerate(BASES) for j, b in enumerate(BASES) for k, c in enumerate(BASES)}
SENSE = sorted(c for c, aa in CODE.items() if aa != "*")
STOPS = sorted(c for c, aa in CODE.items() if aa == "*")


def translate(rna, start, max_codons=100):
    out = []
    for i in range(start, len(rna) - 2, 3):
        aa = CODE[rna[i:i + 3]]
        if aa == "*" or len(out) == max_codons:
            break
        out.append(THREE[aa])
    return "-".join(out)


@template("Biology", 4)
def mrna_translation(rng):
    utr = "".join(rng.choice("ACGU") for _ in range(rng.randint(6, 11)))
    k = rng.randint(4, 6)
    orf = "AUG" + "".join(rng.choice(SENSE) for _ in range(k)) + rng.choice(STOPS)
    tail = "".join(rng.choice("ACGU") for _ in range(rng.randint(3, 6)))
    rna = utr + orf + tail
    start = rna.find("AUG")
    if start != len(utr):
        raise Unusable("an earlier AUG")
    correct = translate(rna, start)
    codons = [orf[i:i + 3] for i in range(3, 3 + 3 * k, 3)]
    misread = []
    for j, cod in enumerate(codons):
        for b in "ACGU":
            alt = b + cod[1:]
            if CODE[alt] not in ("*", CODE[cod]):
                pep = correct.split("-")
                pep[j + 1] = THREE[CODE[alt]]
                misread.append("-".join(pep))
                break
    shifted = translate(rna, start + 4, k)      # a one-nucleotide slip right after the AUG
    cands = misread[:1] + (["Met-" + shifted] if shifted else []) + [
        translate(rna, start, k),                 # stopped one codon early
        "-".join(reversed(correct.split("-"))),   # written C- to N-terminus
        translate(rna, start + 1, k + 1), translate(rna, start + 2, k + 1)] + misread[1:]
    inc = distinct(correct, [c for c in cands if c.count("-") >= 2])
    q = (f"A synthetic mRNA has the sequence 5'-{rna}-3'. Assuming that translation initiates at "
         f"the first AUG and follows the standard genetic code, what peptide is synthesized?")
    return item(q, correct, inc, "Molecular Biology")


def _mutation_effect(dna, pos, new):
    """Effect of replacing 1-based position `pos` of a coding-strand DNA sequence by `new`."""
    i = pos - 1
    start = (i // 3) * 3
    old_codon = dna[start:start + 3]
    new_codon = old_codon[:i - start] + new + old_codon[i - start + 1:]
    a = CODE[old_codon.replace("T", "U")]
    b = CODE[new_codon.replace("T", "U")]
    name_a = THREE.get(a, "stop")
    name_b = THREE.get(b, "stop")
    if a == b:
        kind = "Silent"
    elif b == "*":
        kind = "Nonsense"
    elif a == "*":
        kind = "Stop-loss"
    else:
        kind = "Missense"
    return f"{kind}: {old_codon} ({name_a}) → {new_codon} ({name_b}) at codon {start // 3 + 1}"


@template("Biology", 3)
def point_mutation(rng):
    k = rng.randint(5, 7)
    dna = "ATG" + "".join(rng.choice(SENSE) for _ in range(k)).replace("U", "T")
    pos = rng.randint(4, len(dna))
    old = dna[pos - 1]
    new = rng.choice([b for b in "ACGT" if b != old])
    correct = _mutation_effect(dna, pos, new)
    comp = {"A": "T", "T": "A", "G": "C", "C": "G"}
    cands = []
    if pos + 1 <= len(dna) and dna[pos] != new:
        cands.append(_mutation_effect(dna, pos + 1, new))           # off by one, to the right
    if dna[pos - 2] != new and pos - 1 >= 4:
        cands.append(_mutation_effect(dna, pos - 1, new))           # off by one, to the left
    if comp[new] != old:
        cands.append(_mutation_effect(dna, pos, comp[new]))         # template-strand confusion
    cands += [_mutation_effect(dna, pos, b) for b in "ACGT" if b not in (old, new)]
    inc = distinct(correct, cands)
    q = (f"The coding (non-template) strand of an exon begins 5'-{dna}...-3', where the ATG is the "
         f"start codon. A point mutation changes nucleotide {pos} (counting the A of ATG as "
         f"position 1) from {old} to {new}. What is the effect on the encoded protein?")
    return item(q, correct, inc, "Molecular Biology")


@template("Biology", 4)
def pedigree_risk(rng):
    kind = rng.choice(["ar-carrier", "ar-both-sibs", "ar-population", "ar-population",
                       "xl-son", "xl-any-child", "xl-daughter-carrier", "xl-grandfather",
                       "ad-penetrance", "ad-penetrance"])
    third = Fraction(2, 3)
    if kind == "ar-carrier":
        q = ("A phenotypically unaffected woman has a brother with an autosomal recessive disease; "
             "both of her parents are unaffected. She has a child with an unaffected man who is a "
             "known heterozygous carrier. What is the probability that the child is affected?")
        p, wrong = third / 4, [Fraction(1, 8), Fraction(1, 4), Fraction(1, 3)]
    elif kind == "ar-both-sibs":
        q = ("Two phenotypically unaffected, unrelated people each have a sibling affected by the "
             "same autosomal recessive disease, and all four of their parents are unaffected. What "
             "is the probability that their first child is affected?")
        p, wrong = third * third / 4, [Fraction(1, 16), Fraction(1, 4), Fraction(4, 9)]
    elif kind == "ar-population":
        k = rng.choice([20, 22, 25, 30, 35, 40, 50, 60, 80, 100])
        q = (f"A phenotypically unaffected man has a sister with an autosomal recessive disease; "
             f"his parents are unaffected. His unaffected partner has no family history, and the "
             f"carrier frequency in her population is 1 in {k}. What is the probability that "
             f"their first child is affected?")
        p = third * Fraction(1, k) / 4
        wrong = [Fraction(1, 8 * k), Fraction(1, 4 * k), third / k]
    elif kind == "xl-son":
        q = ("A woman whose brother has hemophilia A (X-linked recessive) has unaffected parents "
             "and an unaffected husband. What is the probability that her first son will have "
             "hemophilia A?")
        p, wrong = Fraction(1, 4), [Fraction(1, 2), Fraction(1, 8), Fraction(1, 16)]
    elif kind == "xl-any-child":
        q = ("A woman whose brother has Duchenne muscular dystrophy (X-linked recessive, not due "
             "to a new mutation) has unaffected parents and an unaffected husband. Before the sex "
             "of her first child is known, what is the probability that the child will be an "
             "affected boy?")
        p, wrong = Fraction(1, 8), [Fraction(1, 4), Fraction(1, 16), Fraction(1, 2)]
    elif kind == "xl-daughter-carrier":
        q = ("A woman whose brother is affected by an X-linked recessive disorder has unaffected "
             "parents and an unaffected husband. What is the probability that their first "
             "daughter is a heterozygous carrier?")
        p, wrong = Fraction(1, 4), [Fraction(1, 2), Fraction(1, 8), Fraction(0)]
    elif kind == "xl-grandfather":
        q = ("A woman's maternal grandfather had an X-linked recessive disorder; her mother, her "
             "father and her husband are unaffected, and nothing else is known about the family. "
             "What is the probability that her first son is affected?")
        p, wrong = Fraction(1, 4), [Fraction(1, 8), Fraction(1, 2), Fraction(1, 16)]
    else:
        pen = rng.choice([Fraction(3, 5), Fraction(7, 10), Fraction(4, 5), Fraction(9, 10),
                          Fraction(3, 4)])
        q = (f"An autosomal dominant disorder has {float(pen) * 100:g}% penetrance. A "
             f"heterozygous affected person has a child with a homozygous unaffected partner. "
             f"What is the probability that the child will be affected?")
        p = pen / 2
        wrong = [pen, Fraction(1, 2), pen * 3 / 4, pen / 4]
    correct = frac(p)
    inc = distinct(correct, [frac(w) for w in wrong] + [frac(p / 2), frac(p * 2)])
    return item(q, correct, inc, "Genetics")


@template("Biology", 3)
def membrane_nernst(rng):
    ion, z, cin, cout = rng.choice([
        ("K⁺", 1, rng.choice([120, 140, 150]), rng.choice([3.5, 4.0, 5.0, 5.5])),
        ("Na⁺", 1, rng.choice([10, 12, 15, 18]), rng.choice([140, 145, 150])),
        ("Cl⁻", -1, rng.choice([4.0, 7.0, 10, 30]), rng.choice([105, 110, 120])),
        ("Ca²⁺", 2, rng.choice([0.0001, 0.0002]), rng.choice([1.2, 1.8, 2.0]))])
    tc = rng.choice([37, 20])
    T = tc + 273.15
    E = R_GAS * T / (z * FARADAY) * math.log(cout / cin) * 1e3
    wrong = [-E,                                                                  # in/out swapped
             E * z if abs(z) != 1 else None,                                      # ignored valence
             E / math.log(10),                                                    # log10, no 2.303
             E * tc / T]                                                          # °C in RT/F
    correct = f"{E:.1f} mV"
    inc = distinct(correct, [f"{w:.1f} mV" for w in wrong if w is not None] +
                   [f"{E * 2:.1f} mV", f"{E / 2:.1f} mV"])
    cell = "mammalian neuron" if tc == 37 else "cultured amphibian neuron"
    q = (f"A {cell} at {tc} °C has intracellular and extracellular {ion} concentrations of "
         f"{num_str(cin)} mM and {num_str(cout)} mM, respectively. What is the Nernst equilibrium "
         f"potential for {ion} (inside relative to outside)?")
    return item(q, correct, inc, "Molecular Biology")


@template("Biology", 3)
def meselson_stahl(rng):
    n = rng.randint(2, 7)
    kind = rng.choice(["hybrid", "light", "ratio", "strands"])
    hyb = Fraction(2, 2 ** n)
    if kind == "hybrid":
        ask = "what fraction of the double-stranded DNA molecules will be of hybrid (¹⁵N/¹⁴N) density"
        correct = frac(hyb)
        cands = [frac(Fraction(1, 2 ** n)), frac(Fraction(1, 2 ** (n + 1))), frac(1 - hyb),
                 frac(Fraction(1, 2))]
    elif kind == "light":
        ask = "what fraction of the double-stranded DNA molecules will be fully light (¹⁴N/¹⁴N)"
        correct = frac(1 - hyb)
        cands = [frac(1 - Fraction(1, 2 ** n)), frac(hyb), frac(Fraction(1, 2)),
                 frac(1 - Fraction(1, 2 ** (n + 1)))]
    elif kind == "ratio":
        ask = ("what will be the ratio of fully light (¹⁴N/¹⁴N) to hybrid (¹⁵N/¹⁴N) "
               "double-stranded DNA molecules")
        correct = f"{2 ** (n - 1) - 1}:1"
        cands = [f"{2 ** n - 1}:1", f"{2 ** (n - 1)}:1", f"{2 ** n - 2}:1", f"{n - 1}:1",
                 f"{2 ** n}:1"]
    else:
        ask = "what fraction of all the individual DNA strands will contain ¹⁵N"
        correct = frac(Fraction(1, 2 ** n))
        cands = [frac(hyb), frac(Fraction(1, 2 ** (n + 1))), frac(Fraction(1, 2)),
                 frac(Fraction(1, 2 ** (n - 1) * 4))]
    inc = distinct(correct, cands)
    q = (f"E. coli grown for many generations with ¹⁵NH₄Cl as the sole nitrogen source is "
         f"transferred to ¹⁴N medium and allowed to replicate semiconservatively for exactly {n} "
         f"generations. Assuming synchronous replication, {ask}?")
    return item(q, correct, inc, "Molecular Biology")


# =============================================================================================
# Driver
# =============================================================================================

PREFIX = {"Physics": "phys", "Chemistry": "chem", "Biology": "bio"}
CHOICE_PREFIXES = ("A) ", "B) ", "C) ", "D) ")


def generate(seed):
    """All records, in file order. Each template draws from its own seeded stream, so adding a
    template does not perturb the others."""
    items, seen = [], set()
    for name, domain, count, fn in TEMPLATES:
        rng = random.Random(f"{seed}:{name}")
        made = tries = 0
        while made < count:
            tries += 1
            if tries > 500 * count:
                raise RuntimeError(f"template {name}: cannot make {count} distinct questions")
            try:
                it = fn(rng)
            except Unusable:
                continue
            key = norm(it["question"])
            if key in seen:
                continue
            seen.add(key)
            it["domain"] = domain
            it["template"] = name
            items.append(it)
            made += 1
    random.Random(f"{seed}:order").shuffle(items)
    counters = {d: 0 for d in PREFIX}
    records = []
    for it in items:
        counters[it["domain"]] += 1
        records.append({
            "id": f"gen-{PREFIX[it['domain']]}-{counters[it['domain']]:03d}",
            "question": it["question"],
            "correct_answer": it["correct"],
            "incorrect_answers": list(it["incorrect"]),
            "subdomain": it["subdomain"],
            "domain": it["domain"],
        })
    return records


def render(records):
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def validate(records):
    """Asserts the invariants the C++ loader and the simulated model rely on."""
    keys = ["id", "question", "correct_answer", "incorrect_answers", "subdomain", "domain"]
    assert len(records) >= 120, f"only {len(records)} questions"
    ids = [r["id"] for r in records]
    assert len(set(ids)) == len(ids), "duplicate ids"
    stems = [r["question"] for r in records]
    assert len({norm(s) for s in stems}) == len(stems), "duplicate question stems"
    # The simulated model finds a question by searching the prompt for its stem.
    for i, s in enumerate(stems):
        for j, t in enumerate(stems):
            assert i == j or s not in t, f"stem of {ids[i]} is contained in {ids[j]}"
    for r in records:
        assert list(r) == keys, f"{r['id']}: keys {list(r)}"
        assert r["domain"] in PREFIX, f"{r['id']}: domain {r['domain']!r}"
        assert r["id"].startswith(f"gen-{PREFIX[r['domain']]}-"), r["id"]
        assert r["subdomain"], f"{r['id']}: empty subdomain"
        inc = r["incorrect_answers"]
        assert isinstance(inc, list) and len(inc) == 3, f"{r['id']}: need 3 incorrect answers"
        choices = [r["correct_answer"]] + inc
        for c in choices:
            assert isinstance(c, str) and c == c.strip() and c, f"{r['id']}: bad choice {c!r}"
            assert "\n" not in c and "\r" not in c, f"{r['id']}: newline in a choice"
        assert len({norm(c) for c in choices}) == 4, f"{r['id']}: choices not distinct: {choices}"
        q = r["question"]
        assert q == q.strip() and q, f"{r['id']}: empty or padded question"
        for line in q.splitlines():
            assert not line.lstrip().startswith(CHOICE_PREFIXES), (
                f"{r['id']}: question line looks like a choice: {line!r}")
    return True


def summary(records):
    by_domain = {}
    for r in records:
        by_domain[r["domain"]] = by_domain.get(r["domain"], 0) + 1
    n = len(records)
    parts = ", ".join(f"{d} {k} ({100 * k / n:.0f}%)" for d, k in sorted(by_domain.items()))
    return f"{n} questions from {len(TEMPLATES)} templates: {parts}"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT, help="output JSONL (default: %(default)s)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help="default: %(default)s")
    ap.add_argument("--check", action="store_true",
                    help="validate the generated set and verify that --out is up to date; "
                         "writes nothing")
    args = ap.parse_args(argv)

    records = generate(args.seed)
    validate(records)
    text = render(records)
    validate([json.loads(line) for line in text.splitlines()])   # round trip
    out = os.path.normpath(args.out)
    if args.check:
        try:
            with open(out, encoding="utf-8", newline="") as f:
                on_disk = f.read()
        except FileNotFoundError:
            print(f"{out}: missing; run {sys.argv[0]} to generate it", file=sys.stderr)
            return 1
        validate([json.loads(line) for line in on_disk.splitlines() if line.strip()])
        if on_disk != text:
            print(f"{out}: valid but stale; run {sys.argv[0]} to regenerate", file=sys.stderr)
            return 1
        print(f"ok: {out} is current; {summary(records)}")
        return 0
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    print(f"wrote {out}: {summary(records)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
