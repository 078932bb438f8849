"""A spikerate scenario file run by Brian2 in cpp_standalone mode: the reference of bench/run's
COBA, CUBA and STDP (Song 2000) cases.

The network is read from the same TOML file spikerate runs (data/scenarios/coba.toml, cuba.toml,
stdp_song2000.toml), so both sides simulate the same parameters; the equations are those of
spikerate's models, written here in Brian2's notation:

  lif_cond  C_m dV/dt = g_L (E_L - V) + g_e (E_e - V) + g_i (E_i - V) + I_e   (unless refractory)
            dg_e/dt = -g_e / tau_syn_e,  dg_i/dt = -g_i / tau_syn_i
  lif_curr  dV/dt = -(V - E_L) / tau_m + (I_syn_e - I_syn_i + I_e) / C_m     (unless refractory)
            dI_syn_e/dt = -I_syn_e / tau_syn_e,  dI_syn_i/dt = -I_syn_i / tau_syn_i
  threshold V >= V_th, reset V = V_reset, refractory t_ref (V held at V_reset)
  pair_stdp on_pre: target += w; apre += 1 (nearest: = 1); w = clip(w - A_minus f_- apost)
            on_post: w = clip(w + A_plus f_+ apre); apost += 1 (nearest: = 1)
            (f = 1 additive; f_+ = w_max - w, f_- = w - w_min multiplicative)

Integration as spikerate resolves `integration = "automatic"`: rk4 for lif_cond (Brian2's
"rk4", the same classic Runge-Kutta step), the exact propagator for lif_curr (Brian2's
"exact"). Delays: spikerate stamps a neuron's spike at the end of its step and a source's at
the start, Brian2 both in the step that produced them; a delay d from a neuron is Brian2's d,
from a Poisson source Brian2's d - dt (both act from the same step).

Only what the benchmark scenarios use is translated (lif_cond without adaptation, lif_curr,
poisson; all_to_all, fixed_probability, one_to_one; pair_stdp); anything else
stops with an error. Prints one JSON line: timings (bench/brian2/common.py), spike counts and mean
rates per recorded population, synapse counts, and the final weights of plastic projections.

    /usr/bin/python3 bench/brian2/scenario.py data/scenarios/coba.toml --duration-ms 10000
"""
import argparse
import pathlib
import sys
import time
import tomllib

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import common  # noqa: E402

LIF_COND = {"C_m_pF": 200.0, "g_L_nS": 10.0, "E_L_mV": -60.0, "V_th_mV": -50.0,
            "V_reset_mV": -60.0, "t_ref_ms": 5.0, "E_e_mV": 0.0, "E_i_mV": -80.0,
            "tau_syn_e_ms": 5.0, "tau_syn_i_ms": 10.0, "I_e_pA": 0.0, "theta_plus_mV": 0.0,
            "tau_theta_ms": 1e7, "theta_frozen": False, "clamp_V_refractory": True}
LIF_CURR = {"C_m_pF": 250.0, "tau_m_ms": 10.0, "E_L_mV": -70.0, "V_th_mV": -55.0,
            "V_reset_mV": -70.0, "t_ref_ms": 2.0, "tau_syn_e_ms": 2.0, "tau_syn_i_ms": 2.0,
            "I_e_pA": 0.0}
PAIR_STDP = {"tau_plus_ms": 20.0, "tau_minus_ms": 20.0, "A_plus": 0.01, "A_minus": 0.0105,
             "weighting": "additive", "interaction": "all_to_all", "w_min": 0.0, "w_max": 1.0}
VARIABLE = {"lif_cond": {"V_m": "v", "g_e": "g_e", "g_i": "g_i"},
            "lif_curr": {"V_m": "v", "I_syn_e": "I_syn_e", "I_syn_i": "I_syn_i"}}
UNIT = {"mV": "mV", "nS": "nS", "pA": "pA"}


def fail(message):
    sys.exit(f"bench/brian2/scenario.py: {message}")


def params_of(pop, defaults, name):
    known = set(defaults) | {"model", "size", "integration", "initial"}
    for key in pop:
        if key not in known:
            fail(f"populations.{name}.{key}: not translated to Brian2")
    return {**defaults, **{k: v for k, v in pop.items() if k in defaults}}


def value_code(value, unit):
    """A number or distribution of the scenario as a Brian2 expression."""
    if isinstance(value, (int, float)):
        return f"{float(value)!r}*{unit}"
    if "uniform" in value:
        low, high = value["uniform"]
        return f"({float(low)!r} + {float(high - low)!r}*rand())*{unit}"
    if "normal" in value:
        mean, sd = value["normal"]
        return f"({float(mean)!r} + {float(sd)!r}*randn())*{unit}"
    fail(f"distribution {value} not translated")


def neuron_group(b, name, pop, dt_ms):
    model = pop["model"]
    integration = pop.get("integration", "automatic")
    if model == "lif_cond":
        p = params_of(pop, LIF_COND, name)
        if p["theta_plus_mV"] != 0.0:
            fail(f"populations.{name}: adaptive threshold not translated (see diehl_cook.py)")
        method = {"automatic": "rk4", "rk4": "rk4", "euler": "euler"}.get(integration)
        v_flag = " (unless refractory)" if p["clamp_V_refractory"] else ""
        eqs = f"""
        dv/dt = ({p['g_L_nS']!r}*nS*({p['E_L_mV']!r}*mV - v) + g_e*({p['E_e_mV']!r}*mV - v)
                 + g_i*({p['E_i_mV']!r}*mV - v) + {p['I_e_pA']!r}*pA) / ({p['C_m_pF']!r}*pF) : volt{v_flag}
        dg_e/dt = -g_e / ({p['tau_syn_e_ms']!r}*ms) : siemens
        dg_i/dt = -g_i / ({p['tau_syn_i_ms']!r}*ms) : siemens
        """
        rest = {"v": p["E_L_mV"]}
    elif model == "lif_curr":
        p = params_of(pop, LIF_CURR, name)
        method = {"automatic": "exact", "exact": "exact", "rk4": "rk4", "euler": "euler"}.get(
            integration)
        eqs = f"""
        dv/dt = -(v - {p['E_L_mV']!r}*mV) / ({p['tau_m_ms']!r}*ms)
                + (I_syn_e - I_syn_i + {p['I_e_pA']!r}*pA) / ({p['C_m_pF']!r}*pF) : volt (unless refractory)
        dI_syn_e/dt = -I_syn_e / ({p['tau_syn_e_ms']!r}*ms) : amp
        dI_syn_i/dt = -I_syn_i / ({p['tau_syn_i_ms']!r}*ms) : amp
        """
        rest = {"v": p["E_L_mV"]}
    else:
        fail(f"populations.{name}: model {model} not translated")
    if method is None:
        fail(f"populations.{name}: integration = {integration} not translated")
    group = b.NeuronGroup(pop["size"], eqs, threshold=f"v >= {p['V_th_mV']!r}*mV",
                          reset=f"v = {p['V_reset_mV']!r}*mV",
                          refractory=p["t_ref_ms"] * b.ms, method=method, name=name)
    group.v = rest["v"] * b.mV
    for key, value in pop.get("initial", {}).items():
        variable, _, unit = key.rpartition("_")
        if variable not in VARIABLE[model] or unit not in UNIT:
            fail(f"populations.{name}.initial.{key}: not translated")
        setattr(group, VARIABLE[model][variable], value_code(value, UNIT[unit]))
    return group


def projection(b, name, proj, groups, kinds, dt_ms):
    pre, post = groups[proj["pre"]], groups[proj["post"]]
    post_model = kinds[proj["post"]]
    unit = "nS" if post_model == "lif_cond" else "pA"
    weight = proj.get(f"weight_{unit}")
    if weight is None:
        fail(f"projections.{name}: weight_{unit} missing")
    receptor = proj.get("receptor", "excitatory")
    target = {("lif_cond", "excitatory"): "g_e", ("lif_cond", "inhibitory"): "g_i",
              ("lif_curr", "excitatory"): "I_syn_e", ("lif_curr", "inhibitory"): "I_syn_i"}[
        (post_model, receptor)]
    plasticity = proj.get("plasticity")
    per_synapse = plasticity is not None or not isinstance(weight, (int, float))
    brian_unit = "siemens" if unit == "nS" else "amp"
    model, on_pre, on_post = "", f"{target}_post += {value_code(weight, unit)}", None
    if per_synapse:
        model = f"w : {brian_unit}"
        on_pre = f"{target}_post += w"
    if plasticity is not None:
        if isinstance(plasticity, str):
            plasticity = {"rule": plasticity}
        if plasticity.get("rule") != "pair_stdp":
            fail(f"projections.{name}: plasticity {plasticity.get('rule')} not translated")
        extra = set(plasticity) - set(PAIR_STDP) - {"rule"}
        if extra:
            fail(f"projections.{name}.plasticity: {sorted(extra)} not translated")
        s = {**PAIR_STDP, **plasticity}
        bump = "= 1" if s["interaction"] == "nearest" else "+= 1"
        f_plus, f_minus = ("1", "1") if s["weighting"] == "additive" else (
            f"({s['w_max']!r}*{unit} - w)/({unit})", f"(w - {s['w_min']!r}*{unit})/({unit})")
        w_min, w_max = f"{s['w_min']!r}*{unit}", f"{s['w_max']!r}*{unit}"
        model += f"""
        dapre/dt = -apre / ({s['tau_plus_ms']!r}*ms) : 1 (event-driven)
        dapost/dt = -apost / ({s['tau_minus_ms']!r}*ms) : 1 (event-driven)
        """
        on_pre += f"""
        apre {bump}
        w = clip(w - {s['A_minus']!r}*{unit}*{f_minus}*apost, {w_min}, {w_max})
        """
        on_post = f"""
        w = clip(w + {s['A_plus']!r}*{unit}*{f_plus}*apre, {w_min}, {w_max})
        apost {bump}
        """
    delay = proj.get("delay_ms", dt_ms)
    if not isinstance(delay, (int, float)):
        fail(f"projections.{name}: a distribution of delays not translated")
    if kinds[proj["pre"]] == "poisson":
        delay -= dt_ms  # see the module comment
    # One delay for the whole projection (Brian2's homogeneous delay: no per-synapse array).
    syn = b.Synapses(pre, post, model=model, on_pre=on_pre, on_post=on_post,
                     delay={"pre": max(0.0, delay) * b.ms}, name=name)
    connection = proj.get("connection", "all_to_all")
    if isinstance(connection, str):
        connection = {"rule": connection}
    rule = connection["rule"]
    autapses = connection.get("allow_autapses", True)
    condition = None if autapses or pre is not post else "i != j"
    if rule == "all_to_all":
        syn.connect(condition=condition or True)
    elif rule == "fixed_probability":
        syn.connect(condition=condition, p=float(connection["p"]))
    elif rule == "one_to_one":
        syn.connect(j="i")
    else:
        fail(f"projections.{name}: connection rule {rule} not translated")
    if per_synapse:
        syn.w = value_code(weight, unit)
    return syn, plasticity is not None and {**PAIR_STDP, **plasticity}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario")
    parser.add_argument("--duration-ms", type=float, default=None,
                        help="override run.duration_ms")
    parser.add_argument("--size", action="append", default=[], metavar="POP=N",
                        help="override a population's size (repeatable)")
    parser.add_argument("--p", action="append", default=[], metavar="PROJ=P",
                        help="override a fixed_probability projection's p (repeatable)")
    common.standard_arguments(parser, "scenario")
    args = parser.parse_args()
    started = time.perf_counter()
    scenario = tomllib.loads(pathlib.Path(args.scenario).read_text())
    stem = pathlib.Path(args.scenario).stem
    for item in args.size:
        pop, n = item.split("=")
        scenario["populations"][pop]["size"] = int(n)
    for item in args.p:
        proj, p = item.split("=")
        scenario["projections"][proj]["connection"]["p"] = float(p)

    import brian2 as b
    common.quiet_brian()
    common.use_standalone(common.directory_for(args, stem), args.threads)
    run = scenario.get("run", {})
    dt_ms = float(run.get("dt_ms", 0.1))
    duration_ms = args.duration_ms or float(run.get("duration_ms", 1000.0))
    b.defaultclock.dt = dt_ms * b.ms
    b.seed(args.seed)

    groups, kinds = {}, {}
    for name in sorted(scenario["populations"]):  # spikerate's order: by name
        pop = scenario["populations"][name]
        kinds[name] = pop["model"]
        if pop["model"] == "poisson":
            extra = set(pop) - {"model", "size", "rate_Hz"}
            if extra:
                fail(f"populations.{name}: {sorted(extra)} not translated")
            groups[name] = b.PoissonGroup(pop["size"], rates=float(pop.get("rate_Hz", 10.0)) * b.Hz,
                                          name=name)
        else:
            groups[name] = neuron_group(b, name, pop, dt_ms)
    record = scenario.get("record", {})
    spike_pops = record.get("spikes", [n for n in groups if kinds[n] != "poisson"])
    monitors = {n: b.SpikeMonitor(groups[n], name=f"spikes_{n}") for n in spike_pops}
    synapses, plastic = {}, {}
    for name in sorted(scenario.get("projections", {})):
        syn, stdp = projection(b, name, scenario["projections"][name], groups, kinds, dt_ms)
        synapses[name] = syn
        if stdp:
            plastic[name] = stdp
    network = b.Network(list(groups.values()) + list(monitors.values()) + list(synapses.values()))
    network.run(duration_ms * b.ms)
    result = common.build_and_run(common.directory_for(args, stem), started)

    import numpy as np
    result.update({"scenario": str(args.scenario), "seed": args.seed, "dt_ms": dt_ms,
                   "duration_ms": duration_ms, "populations": {}, "projections": {}})
    for name, monitor in monitors.items():
        count = int(monitor.num_spikes)
        n = len(groups[name])
        result["populations"][name] = {"size": n, "spikes": count,
                                       "mean_rate_Hz": count / n / (duration_ms * 1e-3)}
    for name, syn in synapses.items():
        entry = {"synapses": int(len(syn))}
        if name in plastic:
            unit = b.nS if kinds[scenario["projections"][name]["post"]] == "lif_cond" else b.pA
            w = np.asarray(syn.w[:] / unit)
            w_max = plastic[name]["w_max"]
            entry.update({"final_mean_w_over_w_max": float(np.mean(w) / w_max),
                          "final_below_0.1_w_max": float(np.mean(w < 0.1 * w_max)),
                          "final_above_0.9_w_max": float(np.mean(w > 0.9 * w_max))})
        result["projections"][name] = entry
    common.report(result, args.out)


if __name__ == "__main__":
    main()
