"""The firing patterns of the izhikevich and adex models in Brian2, written as the small reference
files the C++ tests read (tests/data/izhikevich_brian2.toml, tests/data/adex_brian2.toml,
tests/data/adex_cond_brian2.toml; TOML
because the C++ side already parses it with toml++, Python with tomllib).

    /usr/bin/python3 bench/brian2/neuron_patterns.py [--out tests/data] [--models adex_cond ...]

Brian2 runs the same equations as models/izhikevich.hpp, models/adex.hpp and models/adex_cond.hpp
(numpy target, so no compiler is involved), one neuron per pattern for 1 s, starting at the
model's rest, a constant current from t = 0 (izhikevich, adex) or Poisson conductance input
(adex_cond):
  izhikevich  Izhikevich (2003) Fig. 2 patterns at I = 10 mV/ms: rk4 at dt = 0.1 ms, and the
              paper's scheme (two Euler half-steps of v, then u) at dt = 1 ms, written as a
              run_regularly operation on variables without equations;
  adex        the eight parameter sets of Brian2's example Naud_et_al_2008_adex_firing_patterns
              (Naud et al. 2008, Table 1, adapted by P. Mueller), forward Euler (the example's
              method) and rk4 at dt = 0.1 ms, V_m read as min(V_m, V_peak) in the right-hand side
              as in spikerate (and NEST); V_peak = 0 mV, threshold V_m > V_peak.
  adex_cond   the adex neuron with exponential conductances and reversal potentials
              (models/adex_cond.hpp), driven only through its conductances: 100 excitatory and
              25 inhibitory Poisson afferents (10 Hz each, drawn once with numpy's generator
              seeded INPUT_SEED on the dt grid, at most one spike per afferent and step, stored
              in the file), all-to-all, weights in nS per parameter set; four parameter sets
              (Brette & Gerstner's cell with NEST's aeif_cond_exp synapses, and Naud et al.'s
              tonic, adapting and regular bursting sets with COBA synapses: E_e = 0, E_i = -80 mV,
              tau_syn 5 / 10 ms), forward Euler and rk4 at dt = 0.1 ms. A Brian2 spike at T acts
              (on_pre, after the state update of T's step) from T + dt on: spikerate delivers it
              with a delay of one step, arriving at T + dt.
Some of these spike trains depend on rounding (a bursting or chaotic pattern, or the 1 ms steps
of the paper's scheme): each pattern also runs PERTURBED more times with the initial V_m scaled
by 1 + k 1e-15 (k = 1..PERTURBED, a few to a few hundred ulp). A pattern whose perturbed trains
all equal the unperturbed one is stored as not rounding-sensitive, and the tests ask spikerate
for every spike within one step; otherwise the file stores the range of spike counts over the
perturbed runs and how many leading spikes they all share, which is what the tests ask for.
Brian2 stamps a spike with the start of the step in which the threshold was crossed; spikerate
with its end: a spikerate time is a Brian2 time + dt.
"""
import argparse
import pathlib

import brian2 as b2
from brian2 import ms, mV, pA, pF, nS, volt

ROOT = pathlib.Path(__file__).resolve().parents[2]
DURATION_MS = 1000.0
PERTURBED = 40

IZHIKEVICH_PATTERNS = {  # a [1/ms], b [1/ms], c [mV], d [mV/ms]
    "regular_spiking": (0.02, 0.2, -65.0, 8.0),
    "fast_spiking": (0.1, 0.2, -65.0, 2.0),
    "intrinsically_bursting": (0.02, 0.2, -55.0, 4.0),
    "chattering": (0.02, 0.2, -50.0, 2.0),
}
IZHIKEVICH_I = 10.0  # [mV/ms]

# Brian2's example (C_m pF, g_L nS, E_L mV, V_T mV, Delta_T mV, a nS, tau_w ms, b pA, V_r mV, I pA)
ADEX_PATTERNS = {
    "tonic": (200, 10, -70.0, -50.0, 2.0, 2.0, 30.0, 0.0, -58.0, 500),
    "adapting": (200, 12, -70.0, -50.0, 2.0, 2.0, 300.0, 60.0, -58.0, 500),
    "initial_burst": (130, 18, -58.0, -50.0, 2.0, 4.0, 150.0, 120.0, -50.0, 400),
    "regular_bursting": (200, 10, -58.0, -50.0, 2.0, 2.0, 120.0, 100.0, -46.0, 210),
    "delayed_accelerating": (200, 12, -70.0, -50.0, 2.0, -10.0, 300.0, 0.0, -58.0, 300),
    "delayed_regular_bursting": (100, 10, -65.0, -50.0, 2.0, -10.0, 90.0, 30.0, -47.0, 110),
    "transient": (100, 10, -65.0, -50.0, 2.0, 10.0, 90.0, 100.0, -47.0, 180),
    "irregular": (100, 12, -60.0, -50.0, 2.0, -11.0, 130.0, 30.0, -48.0, 160),
}
ADEX_FIELDS = ("C_m_pF", "g_L_nS", "E_L_mV", "V_T_mV", "Delta_T_mV", "a_nS", "tau_w_ms", "b_pA",
               "V_r_mV", "I_e_pA")
ADEX_V_PEAK = 0.0  # [mV]


def spike_lists(monitor, n):
    trains = monitor.spike_trains()
    return [[round(float(t / ms), 9) for t in trains[i]] for i in range(n)]


def perturbation(j):
    return 1.0 + j * 1e-15  # variant 0 is the unperturbed run


def summarise(trains, k):
    """Pattern k's unperturbed train and what its perturbed variants share with it."""
    base = trains[k * (PERTURBED + 1)]
    variants = trains[k * (PERTURBED + 1) + 1:(k + 1) * (PERTURBED + 1)]
    counts = [len(base)] + [len(v) for v in variants]
    shared = len(base)
    for v in variants:
        n = 0
        while n < min(len(v), len(base)) and v[n] == base[n]:
            n += 1
        shared = min(shared, n)
    sensitive = any(v != base for v in variants)
    out = {"rounding_sensitive": sensitive}
    if sensitive:
        out["perturbed_spike_count_min"] = min(counts)
        out["perturbed_spike_count_max"] = max(counts)
        out["perturbed_shared_leading_spikes"] = shared
    out["brian2_spike_times_ms"] = base
    return out


def izhikevich(method, dt_ms):
    b2.start_scope()
    b2.defaultclock.dt = dt_ms * ms
    names = list(IZHIKEVICH_PATTERNS)
    size = len(names) * (PERTURBED + 1)
    constants = "".join(f"{name} : 1 (constant)\n" for name in "abcdI")
    if method == "rk4":
        eqs = """
        dv/dt = (0.04*v**2 + 5*v + 140 - u + I)/ms : 1
        du/dt = a*(b*v - u)/ms : 1
        """
        group = b2.NeuronGroup(size, eqs + constants, threshold="v >= 30",
                               reset="v = c; u += d", method="rk4", namespace={})
    else:  # the paper's scheme, on variables without equations
        group = b2.NeuronGroup(size, "v : 1\nu : 1\n" + constants, threshold="v >= 30",
                               reset="v = c; u += d", namespace={})
        h = 0.5 * dt_ms
        group.run_regularly(f"""
        v = v + {h}*(0.04*v*v + 5*v + 140 - u + I)
        v = v + {h}*(0.04*v*v + 5*v + 140 - u + I)
        u = u + {dt_ms}*a*(b*v - u)
        """, when="groups")
    for k, name in enumerate(names):
        a, b, c, d = IZHIKEVICH_PATTERNS[name]
        disc = (5.0 - b) ** 2 - 4 * 0.04 * 140.0  # rest: models/izhikevich.cpp
        v_rest = (-(5.0 - b) - disc ** 0.5) / (2 * 0.04)
        for j in range(PERTURBED + 1):
            i = k * (PERTURBED + 1) + j
            group.a[i], group.b[i], group.c[i], group.d[i] = a, b, c, d
            group.v[i], group.u[i] = v_rest * perturbation(j), b * v_rest
    group.I = IZHIKEVICH_I
    monitor = b2.SpikeMonitor(group)
    b2.run(DURATION_MS * ms, namespace={})
    trains = spike_lists(monitor, size)
    return {name: dict({"a_per_ms": IZHIKEVICH_PATTERNS[name][0],
                        "b_per_ms": IZHIKEVICH_PATTERNS[name][1],
                        "c_mV": IZHIKEVICH_PATTERNS[name][2],
                        "d_mV_per_ms": IZHIKEVICH_PATTERNS[name][3],
                        "I_e_mV_per_ms": IZHIKEVICH_I}, **summarise(trains, k))
            for k, name in enumerate(names)}


def adex(method, dt_ms):
    b2.start_scope()
    b2.defaultclock.dt = dt_ms * ms
    names = list(ADEX_PATTERNS)
    eqs = """
    vm_c = clip(vm, -1*volt, v_peak) : volt
    dvm/dt = (g_l*(e_l - vm_c) + g_l*d_t*exp((vm_c - v_t)/d_t) + i_stim - w)/c_m : volt
    dw/dt = (a*(vm_c - e_l) - w)/tau_w : amp
    c_m : farad (constant)
    g_l : siemens (constant)
    e_l : volt (constant)
    v_t : volt (constant)
    d_t : volt (constant)
    a : siemens (constant)
    tau_w : second (constant)
    b : amp (constant)
    v_r : volt (constant)
    i_stim : amp (constant)
    """
    size = len(names) * (PERTURBED + 1)
    group = b2.NeuronGroup(size, eqs, threshold="vm > v_peak", reset="vm = v_r; w += b",
                           method=method, namespace={"v_peak": ADEX_V_PEAK * mV})
    for k, name in enumerate(names):
        C, gL, EL, VT, DT, a, tau_w, b, Vr, I = ADEX_PATTERNS[name]
        sl = slice(k * (PERTURBED + 1), (k + 1) * (PERTURBED + 1))
        group.c_m[sl] = C * pF
        group.g_l[sl] = gL * nS
        group.e_l[sl] = EL * mV
        group.v_t[sl] = VT * mV
        group.d_t[sl] = DT * mV
        group.a[sl] = a * nS
        group.tau_w[sl] = tau_w * ms
        group.b[sl] = b * pA
        group.v_r[sl] = Vr * mV
        group.i_stim[sl] = I * pA
        for j in range(PERTURBED + 1):
            group.vm[k * (PERTURBED + 1) + j] = EL * perturbation(j) * mV
    group.w = 0 * pA
    monitor = b2.SpikeMonitor(group)
    b2.run(DURATION_MS * ms, namespace={})
    trains = spike_lists(monitor, size)
    out = {}
    for k, name in enumerate(names):
        entry = dict(zip(ADEX_FIELDS, ADEX_PATTERNS[name]))
        entry["V_peak_mV"] = ADEX_V_PEAK
        entry.update(summarise(trains, k))
        out[name] = entry
    return out


# Conductance-driven AdEx: (C_m pF, g_L nS, E_L mV, V_T mV, Delta_T mV, a nS, tau_w ms, b pA,
# V_r mV, E_e mV, E_i mV, tau_syn_e ms, tau_syn_i ms, weight_e nS, weight_i nS)
ADEX_COND_PATTERNS = {
    "brette_gerstner": (281, 30, -70.6, -50.4, 2.0, 4.0, 144.0, 80.5, -70.6, 0.0, -85.0, 0.2, 2.0,
                        80.0, 10.0),
    "tonic": (200, 10, -70.0, -50.0, 2.0, 2.0, 30.0, 0.0, -58.0, 0.0, -80.0, 5.0, 10.0,
              2.0, 2.0),
    "adapting": (200, 12, -70.0, -50.0, 2.0, 2.0, 300.0, 60.0, -58.0, 0.0, -80.0, 5.0, 10.0,
                 2.5, 2.0),
    "regular_bursting": (200, 10, -58.0, -50.0, 2.0, 2.0, 120.0, 100.0, -46.0, 0.0, -80.0, 5.0,
                         10.0, 1.4, 2.0),
}
ADEX_COND_FIELDS = ("C_m_pF", "g_L_nS", "E_L_mV", "V_T_mV", "Delta_T_mV", "a_nS", "tau_w_ms",
                    "b_pA", "V_r_mV", "E_e_mV", "E_i_mV", "tau_syn_e_ms", "tau_syn_i_ms",
                    "input_weight_e_nS", "input_weight_i_nS")
INPUT_SEED = 20051101
INPUT_AFFERENTS = {"e": 100, "i": 25}
INPUT_RATE_HZ = 10.0


def poisson_input(dt_ms):
    """Per receptor: (node ids, times [ms]) of independent Poisson afferents on the dt grid."""
    import numpy as np
    rng = np.random.default_rng(INPUT_SEED)
    steps = int(round(DURATION_MS / dt_ms))
    out = {}
    for receptor, n in INPUT_AFFERENTS.items():
        fires = rng.random((steps, n)) < INPUT_RATE_HZ * dt_ms * 1e-3
        step, node = np.nonzero(fires)  # ordered by step, then node
        out[receptor] = ([int(i) for i in node], [round(int(k) * dt_ms, 9) for k in step])
    return out


def adex_cond(method, dt_ms, spikes_in):
    import numpy as np
    b2.start_scope()
    b2.defaultclock.dt = dt_ms * ms
    names = list(ADEX_COND_PATTERNS)
    eqs = """
    vm_c = clip(vm, -1*volt, v_peak) : volt
    dvm/dt = (g_l*(e_l - vm_c) + g_l*d_t*exp((vm_c - v_t)/d_t) + ge*(e_e - vm_c)
              + gi*(e_i - vm_c) - w)/c_m : volt
    dw/dt = (a*(vm_c - e_l) - w)/tau_w : amp
    dge/dt = -ge/tau_e : siemens
    dgi/dt = -gi/tau_i : siemens
    c_m : farad (constant)
    g_l : siemens (constant)
    e_l : volt (constant)
    v_t : volt (constant)
    d_t : volt (constant)
    a : siemens (constant)
    tau_w : second (constant)
    b : amp (constant)
    v_r : volt (constant)
    e_e : volt (constant)
    e_i : volt (constant)
    tau_e : second (constant)
    tau_i : second (constant)
    we : siemens (constant)
    wi : siemens (constant)
    """
    size = len(names) * (PERTURBED + 1)
    group = b2.NeuronGroup(size, eqs, threshold="vm > v_peak", reset="vm = v_r; w += b",
                           method=method, namespace={"v_peak": ADEX_V_PEAK * mV})
    for k, name in enumerate(names):
        C, gL, EL, VT, DT, a, tau_w, b, Vr, Ee, Ei, te, ti, we, wi = ADEX_COND_PATTERNS[name]
        sl = slice(k * (PERTURBED + 1), (k + 1) * (PERTURBED + 1))
        group.c_m[sl] = C * pF
        group.g_l[sl] = gL * nS
        group.e_l[sl] = EL * mV
        group.v_t[sl] = VT * mV
        group.d_t[sl] = DT * mV
        group.a[sl] = a * nS
        group.tau_w[sl] = tau_w * ms
        group.b[sl] = b * pA
        group.v_r[sl] = Vr * mV
        group.e_e[sl] = Ee * mV
        group.e_i[sl] = Ei * mV
        group.tau_e[sl] = te * ms
        group.tau_i[sl] = ti * ms
        group.we[sl] = we * nS
        group.wi[sl] = wi * nS
        for j in range(PERTURBED + 1):
            group.vm[k * (PERTURBED + 1) + j] = EL * perturbation(j) * mV
    group.w = 0 * pA
    group.ge = 0 * nS
    group.gi = 0 * nS
    synapses = []
    for receptor, target in (("e", "ge_post += we_post"), ("i", "gi_post += wi_post")):
        nodes, times = spikes_in[receptor]
        source = b2.SpikeGeneratorGroup(INPUT_AFFERENTS[receptor], nodes, np.array(times) * ms)
        syn = b2.Synapses(source, group, on_pre=target)
        syn.connect()
        synapses += [source, syn]
    monitor = b2.SpikeMonitor(group)
    net = b2.Network(group, monitor, *synapses)
    net.run(DURATION_MS * ms, namespace={})
    trains = spike_lists(monitor, size)
    out = {}
    for k, name in enumerate(names):
        entry = dict(zip(ADEX_COND_FIELDS, ADEX_COND_PATTERNS[name]))
        entry["V_peak_mV"] = ADEX_V_PEAK
        entry.update(summarise(trains, k))
        out[name] = entry
    return out


def toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace('\\', '\\\\').replace('"', '\\"') + '"'
    if isinstance(value, list) and all(isinstance(x, int) for x in value):
        return "[" + ", ".join(str(x) for x in value) + "]"
    if isinstance(value, list):
        return "[" + ", ".join(repr(float(x)) for x in value) + "]"
    return repr(float(value))


def write_toml(path, doc):
    """doc: top-level scalars, then runs.<method> with dt_ms and patterns.<name> tables."""
    lines = ["# Brian2 reference spike times; see the docstring of the generating script."]
    for key, value in doc.items():
        if key != "runs":
            lines.append(f"{key} = {toml_value(value)}")
    for method, run in doc["runs"].items():
        lines += ["", f"[runs.{method}]", f"dt_ms = {toml_value(run['dt_ms'])}"]
        for name, entry in run["patterns"].items():
            lines += ["", f"[runs.{method}.patterns.{name}]"]
            lines += [f"{k} = {toml_value(v)}" for k, v in entry.items()]
    path.write_text("\n".join(lines) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "tests" / "data")
    parser.add_argument("--models", nargs="+", choices=("izhikevich", "adex", "adex_cond"),
                        default=["izhikevich", "adex", "adex_cond"])
    args = parser.parse_args()
    b2.prefs.codegen.target = "numpy"
    b2.prefs.logging.file_log = False
    args.out.mkdir(parents=True, exist_ok=True)
    common = {
        "generated_by": "/usr/bin/python3 bench/brian2/neuron_patterns.py",
        "brian2_version": b2.__version__,
        "codegen_target": "numpy",
        "perturbed_runs": PERTURBED,
        "perturbation": "initial V_m times 1 + k 1e-15, k = 1..perturbed_runs",
        "duration_ms": DURATION_MS,
        "spike_time_convention": "Brian2's: the start of the step in which the threshold was "
                                 "crossed; spikerate stamps the end of that step (+ dt)",
    }
    docs = {}
    if "izhikevich" in args.models:
        docs["izhikevich"] = dict(common, model="izhikevich", runs={
            "rk4": {"dt_ms": 0.1, "patterns": izhikevich("rk4", 0.1)},
            "izhikevich_half_steps": {"dt_ms": 1.0, "patterns": izhikevich("half_steps", 1.0)},
        })
    if "adex" in args.models:
        docs["adex"] = dict(common, model="adex",
                            V_m_read_as="min(V_m, V_peak) in the right-hand side",
                            runs={m: {"dt_ms": 0.1, "patterns": adex(m, 0.1)}
                                  for m in ("euler", "rk4")})
    if "adex_cond" in args.models:
        dt_ms = 0.1  # both runs: the input lies on this grid
        spikes_in = poisson_input(dt_ms)
        inputs = {"input_seed": INPUT_SEED, "input_rate_Hz": INPUT_RATE_HZ,
                  "input_delivery": "a Brian2 spike at T acts from T + dt; spikerate: delay dt"}
        for receptor, (nodes, times) in spikes_in.items():
            inputs[f"input_{receptor}_size"] = INPUT_AFFERENTS[receptor]
            inputs[f"input_{receptor}_node_ids"] = nodes
            inputs[f"input_{receptor}_times_ms"] = times
        docs["adex_cond"] = dict(common, model="adex_cond",
                                 V_m_read_as="min(V_m, V_peak) in the right-hand side",
                                 **inputs,
                                 runs={m: {"dt_ms": dt_ms, "patterns": adex_cond(m, dt_ms,
                                                                                 spikes_in)}
                                       for m in ("euler", "rk4")})
    for model, doc in docs.items():
        write_toml(args.out / f"{model}_brian2.toml", doc)
        print(f"wrote {args.out / f'{model}_brian2.toml'}")
    for model, doc in docs.items():
        for method, run in doc["runs"].items():
            for k, v in run["patterns"].items():
                print(model, method, k, len(v["brian2_spike_times_ms"]),
                      {x: y for x, y in v.items() if x.startswith(("rounding", "perturbed"))})


if __name__ == "__main__":
    main()
