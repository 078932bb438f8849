"""Hostile inputs: what a careless or malicious user may hand the program. Each case is a
command run in an empty directory holding only its input files; it must end with the expected
exit code, a message containing the expected fragment (naming what and where), within a time
limit (no hang), and, unless the case says otherwise, leave the directory as it found it:
nothing written, no user file touched.

Exit codes (README): 2 invalid input, nothing written; 3 numerical failure, the .partial file
kept; 1 a failure while running."""
import importlib.util
import os
import stat
import struct
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

_cli = importlib.util.spec_from_file_location(
    "cli_conftest", Path(__file__).resolve().parents[1] / "cli" / "conftest.py")
_conftest = importlib.util.module_from_spec(_cli)
_cli.loader.exec_module(_conftest)
spikerate = _conftest.spikerate
REPO = _conftest.REPO

FIFO = object()       # a file entry made a named pipe
DIRECTORY = object()  # a file entry made a directory

NET = """
[populations.in]
model = "poisson"
size = 10
rate_Hz = 20.0
[populations.n]
model = "lif_cond"
size = 10
[projections.x]
pre = "in"
post = "n"
weight_nS = 1.0
"""

TASK = """
[task]
dataset = "bars"
[training]
examples = 20
"""


def idx(dims, payload=None, magic=None):
    """An IDX file of unsigned bytes with the given dimensions."""
    count = 1
    for d in dims:
        count *= d
    head = magic if magic is not None else struct.pack(">BBBB", 0, 0, 8, len(dims))
    body = b"".join(struct.pack(">I", d) for d in dims)
    return head + body + (payload if payload is not None else bytes(count))


def mnist_files(train_shape=(28, 28), test_shape=(28, 28), n_train=3, n_test=2):
    return {
        "m/train-images-idx3-ubyte": idx((n_train, *train_shape)),
        "m/train-labels-idx1-ubyte": idx((n_train,)),
        "m/t10k-images-idx3-ubyte": idx((n_test, *test_shape)),
        "m/t10k-labels-idx1-ubyte": idx((n_test,)),
    }


# A reward-trained readout (readout = "reward") on bars: the valid scenario the reward cases
# break one key of.
REWARD = (Path(__file__).resolve().parents[1] / "data" / "reward_readout_bars.toml").read_text()


def reward(old, new):
    """REWARD with `old` (which it must contain) replaced by `new`."""
    assert old in REWARD, old
    return {"s.toml": REWARD.replace(old, new, 1)}


MNIST_TASK = '[task]\ndataset = "mnist"\ndata_dir = "m"\n[rate.l]\n'


@dataclass
class Case:
    name: str
    args: list                    # after the program; "s.toml" is the scenario, {d} the directory
    exit: int
    fragment: str
    files: dict = field(default_factory=dict)
    written: tuple = ()           # files the run may leave (e.g. a .partial after exit 3)


def scenario(text, **kw):
    files = kw.pop("files", {})
    return dict(files={"s.toml": text, **files}, **kw)


CASES = [
    # --- the command line -------------------------------------------------------------
    Case("no subcommand", [], 2, "A subcommand is required"),
    Case("unknown flag", ["run", "--bogus", "s.toml"], 2, "bogus", files={"s.toml": NET}),
    Case("missing scenario", ["run", "none.toml"], 2, "does not exist"),
    Case("scenario is a directory", ["run", "s.toml"], 2, "directory", files={"s.toml": DIRECTORY}),
    Case("scenario is a FIFO (no hang)", ["run", "s.toml"], 2, "not a regular file",
         files={"s.toml": FIFO}),
    Case("--set without =", ["run", "s.toml", "--set", "run.seed"], 2, "expected key.path=value",
         files={"s.toml": NET}),
    Case("--set with an unquoted string", ["run", "s.toml", "--set", "run.output=x.h5"], 2,
         "is not a TOML value", files={"s.toml": NET}),
    Case("--set through a value", ["run", "s.toml", "--set", "run.dt_ms.x=1"], 2, "not a table",
         files={"s.toml": "[run]\ndt_ms = 0.1\n" + NET}),
    Case("--set a key 50,000 levels deep (no stack overflow)",
         ["run", "s.toml", "--set", ".".join(["a"] * 50000) + "=1"], 2, "--set",
         files={"s.toml": NET}),
    Case("-o ''", ["run", "s.toml", "-o", ""], 2, "output path is empty", files={"s.toml": NET}),
    # --- the file itself --------------------------------------------------------------
    Case("empty scenario", ["run", "s.toml"], 2, "populations: missing required key",
         files={"s.toml": ""}),
    Case("binary garbage", ["run", "s.toml"], 2, "TOML syntax error",
         files={"s.toml": b"\x00\xff\xfe\x89PNG\r\n"}),
    Case("duplicate key", ["run", "s.toml"], 2, "TOML syntax error",
         files={"s.toml": "[run]\nseed = 1\nseed = 2\n" + NET}),
    Case("a key 50,000 levels deep (no stack overflow)", ["run", "s.toml"], 2, "s.toml",
         files={"s.toml": ".".join(["a"] * 50000) + " = 1\n"}),
    Case("integer beyond 64 bits", ["run", "s.toml"], 2, "s.toml",
         files={"s.toml": "[run]\nseed = 99999999999999999999\n" + NET}),
    Case("unknown top-level table", ["run", "s.toml"], 2, "simulation: unknown key",
         files={"s.toml": "[simulation]\n" + NET}),
    Case("run is a value", ["run", "s.toml"], 2, "run: expected a table",
         files={"s.toml": "run = 5\n" + NET}),
    Case("populations is an array", ["run", "s.toml"], 2, "populations: expected a table",
         files={"s.toml": "populations = []\n"}),
    # --- [run] -------------------------------------------------------------------------
    Case("dt 0", ["run", "s.toml"], 2, "run.dt_ms: 0 ms: must be > 0",
         files={"s.toml": "[run]\ndt_ms = 0.0\n" + NET}),
    Case("dt nan", ["run", "s.toml"], 2, "run.dt_ms", files={"s.toml": "[run]\ndt_ms = nan\n" + NET}),
    Case("dt 1e-300 (2^53 steps)", ["run", "s.toml"], 2, "more than the 2^53",
         files={"s.toml": "[run]\ndt_ms = 1e-300\n" + NET}),
    Case("duration 1e30", ["run", "s.toml"], 2, "run.duration_ms: 1e+30 ms",
         files={"s.toml": "[run]\nduration_ms = 1e30\n" + NET}),
    Case("duration inf", ["run", "s.toml"], 2, "run.duration_ms",
         files={"s.toml": "[run]\nduration_ms = inf\n" + NET}),
    Case("duration not a multiple of dt", ["run", "s.toml"], 2, "non-negative multiple of dt",
         files={"s.toml": "[run]\nduration_ms = 1.05\n" + NET}),
    Case("negative seed", ["run", "s.toml"], 2, "run.seed: -1: must be >= 0",
         files={"s.toml": "[run]\nseed = -1\n" + NET}),
    Case("empty output in the file", ["run", "s.toml"], 2, "run.output: must not be empty",
         files={"s.toml": '[run]\noutput = ""\n' + NET}),
    Case("unknown mode", ["run", "s.toml"], 2, "unknown mode 'fast'",
         files={"s.toml": '[run]\nmode = "fast"\n' + NET}),
    # --- populations -------------------------------------------------------------------
    Case("size 0", ["run", "s.toml"], 2, "populations.n.size: 0: must be >= 1",
         files={"s.toml": NET.replace("size = 10\n[projections", "size = 0\n[projections")}),
    Case("size 2^32", ["run", "s.toml"], 2, "must be <= 4294967295",
         files={"s.toml": NET.replace('size = 10\n[proj', 'size = 4294967296\n[proj')}),
    Case("size 2^32 - 1 (memory)", ["run", "s.toml"], 2, "populations.n.size: 4294967295 neurons",
         files={"s.toml": NET.replace('size = 10\n[proj', 'size = 4294967295\n[proj')}),
    Case("size a float", ["run", "s.toml"], 2, "expected an integer, got a float",
         files={"s.toml": NET.replace('size = 10\n[proj', 'size = 10.0\n[proj')}),
    Case("unknown model", ["run", "s.toml"], 2, "unknown model 'lif'",
         files={"s.toml": NET.replace('"lif_cond"', '"lif"')}),
    Case("model a number", ["run", "s.toml"], 2, "populations.n.model: expected a string",
         files={"s.toml": NET.replace('"lif_cond"', '5')}),
    Case("tau nan", ["run", "s.toml"], 2, "populations.n.C_m_pF: nan pF: must be a finite number",
         files={"s.toml": NET.replace('[projections', 'C_m_pF = nan\n[projections')}),
    Case("tau -inf", ["run", "s.toml"], 2, "populations.n.C_m_pF",
         files={"s.toml": NET.replace('[projections', 'C_m_pF = -inf\n[projections')}),
    Case("population named '.'", ["run", "s.toml"], 2, "cannot be '.'",
         files={"s.toml": '[populations."."]\nmodel = "lif_curr"\nsize = 1\n'}),
    Case("population named '..'", ["run", "s.toml"], 2, "cannot be '..'",
         files={"s.toml": '[populations.".."]\nmodel = "lif_curr"\nsize = 1\n'}),
    Case("population named with NUL", ["run", "s.toml"], 2, "control characters",
         files={"s.toml": '[populations."a\\u0000b"]\nmodel = "lif_curr"\nsize = 1\n'}),
    Case("population named ''", ["run", "s.toml"], 2, "must not be empty",
         files={"s.toml": '[populations.""]\nmodel = "lif_curr"\nsize = 1\n'}),
    Case("integration exact for lif_cond", ["run", "s.toml"], 2, "needs a model with an exact",
         files={"s.toml": NET.replace('[projections', 'integration = "exact"\n[projections')}),
    Case("initial of an unknown variable", ["run", "s.toml"], 2, "initial.U_mV: unknown key",
         files={"s.toml": NET.replace('[projections', 'initial = { U_mV = 1.0 }\n[projections')}),
    Case("initial normal with negative sd", ["run", "s.toml"], 2, "sd must be >= 0",
         files={"s.toml": NET.replace(
             '[projections', 'initial = { V_m_mV = { normal = [0.0, -1.0] } }\n[projections')}),
    Case("poisson rate above 1/dt", ["run", "s.toml"], 2, "exceeds one spike per step",
         files={"s.toml": NET.replace("rate_Hz = 20.0", "rate_Hz = 1e9")}),
    Case("inline spike train of unequal lengths", ["run", "s.toml"], 2, "must match",
         files={"s.toml": '[populations.in]\nmodel = "spike_train"\nsize = 2\n'
                          'times_ms = [1.0, 2.0]\nnode_ids = [0]\n'}),
    # --- spike files -------------------------------------------------------------------
    *[Case(f"spike file {what}", ["run", "s.toml"], 2, fragment,
           files={"s.toml": '[populations.in]\nmodel = "spike_train"\nsize = 4\nfile = "sp.csv"\n'
                            '[populations.n]\nmodel = "lif_curr"\nsize = 1\n',
                  **({"sp.csv": content} if content is not None else {})})
      for what, content, fragment in [
          ("missing", None, "no such file"),
          ("a directory", DIRECTORY, "it is a directory"),
          ("a FIFO (no hang)", FIFO, "not a regular file"),
          ("empty", "", "empty file"),
          ("with a wrong header", "neuron,time\n", "expected the header"),
          ("with a node id out of range", "node_id,time_ms\n9,1.0\n", "node_id 9: out of range"),
          ("with a negative time", "node_id,time_ms\n0,-1.0\n", "must be finite and >= 0"),
          ("with nan", "node_id,time_ms\n0,nan\n", "must be finite and >= 0"),
          ("with a time beyond 2^53 steps", "node_id,time_ms\n0,1e300\n", "2^53"),
          ("with three fields", "node_id,time_ms\n0,1.0,2\n", "expected two fields"),
      ]],
    # --- projections -------------------------------------------------------------------
    Case("projection onto a source", ["run", "s.toml"], 2, "takes no input",
         files={"s.toml": NET.replace('post = "n"', 'post = "in"')}),
    Case("projection from nowhere", ["run", "s.toml"], 2, "unknown population 'nowhere'",
         files={"s.toml": NET.replace('pre = "in"', 'pre = "nowhere"')}),
    Case("negative weight", ["run", "s.toml"], 2, "projections.x.weight_nS",
         files={"s.toml": NET.replace("weight_nS = 1.0", "weight_nS = -1.0")}),
    Case("normal weight", ["run", "s.toml"], 2, "weight can be negative",
         files={"s.toml": NET.replace("weight_nS = 1.0", "weight_nS = { normal = [1.0, 0.1] }")}),
    Case("weight in the wrong unit", ["run", "s.toml"], 2, "takes weights in nS",
         files={"s.toml": NET.replace("weight_nS", "weight_pA")}),
    Case("delay 1e300", ["run", "s.toml"], 2, "more than 2^31 steps",
         files={"s.toml": NET + "delay_ms = 1e300\n"}),
    Case("delay shorter than dt from a source", ["run", "s.toml"], 2, "at least one step",
         files={"s.toml": NET + "delay_ms = 0.0\n"}),
    Case("p above 1", ["run", "s.toml"], 2, "connection.p: 1.5: must be in [0, 1]",
         files={"s.toml": NET + 'connection = { rule = "fixed_probability", p = 1.5 }\n'}),
    Case("in-degree 3e9", ["run", "s.toml"], 2, "more than the 2^32 - 1 a projection holds",
         files={"s.toml": NET + 'connection = { rule = "fixed_in_degree", k = 3000000000 }\n'}),
    Case("from_list index out of range", ["run", "s.toml"], 2, "connection.post[0]",
         files={"s.toml": NET + 'connection = { rule = "from_list", pre = [0], post = [99] }\n'}),
    Case("one_to_one of unequal sizes", ["run", "s.toml"], 2, "one_to_one needs equal sizes",
         files={"s.toml": NET.replace("size = 10\nrate_Hz", "size = 3\nrate_Hz")
                + 'connection = "one_to_one"\n'}),
    Case("dense storage of a sparse rule", ["run", "s.toml"], 2, "dense needs a complete",
         files={"s.toml": NET + 'connection = { rule = "fixed_probability", p = 0.5 }\n'
                                'storage = "dense"\n'}),
    Case("float32 weights with no float32 within the plasticity bounds", ["run", "s.toml"], 2,
         "weight_precision: float32 has no value within the plasticity bounds",
         files={"s.toml": NET.replace("weight_nS = 1.0", "weight_nS = 0.1")
                + 'weight_precision = "float32"\n'
                  'plasticity = { rule = "pair_stdp", w_min = 0.1, w_max = 0.100000001 }\n'}),
    Case("weight precision 'float16'", ["run", "s.toml"], 2, "expected one of: float64, float32",
         files={"s.toml": NET + 'weight_precision = "float16"\n'}),
    Case("unknown plasticity rule", ["run", "s.toml"], 2, "unknown plasticity rule 'stdp'",
         files={"s.toml": NET + 'plasticity = "stdp"\n'}),
    Case("initial weights beyond the bounds", ["run", "s.toml"], 2, "initial weights can leave",
         files={"s.toml": NET + 'plasticity = { rule = "pair_stdp", w_max = 0.5 }\n'}),
    Case("plasticity onto precise mode", ["run", "s.toml"], 2, "precise mode is not supported",
         files={"s.toml": '[run]\nmode = "precise"\n[populations.in]\nmodel = "poisson"\nsize = 2\n'
                          '[populations.n]\nmodel = "lif_curr"\nsize = 2\n[projections.x]\n'
                          'pre = "in"\npost = "n"\nweight_pA = 1.0\nplasticity = "pair_stdp"\n'}),
    # --- recording ---------------------------------------------------------------------
    Case("record spikes of nothing", ["run", "s.toml"], 2, "unknown population 'ghost'",
         files={"s.toml": NET + '[record]\nspikes = ["ghost"]\n'}),
    Case("record an unknown variable", ["run", "s.toml"], 2, "unknown state variable of lif_cond",
         files={"s.toml": NET + '[record.state.v]\npopulation = "n"\nvariable = "U"\n'}),
    Case("record neurons out of range", ["run", "s.toml"], 2, "neurons[1]",
         files={"s.toml": NET + '[record.state.v]\npopulation = "n"\nvariable = "V_m"\n'
                                'neurons = [0, 10]\n'}),
    Case("record every 0 ms", ["run", "s.toml"], 2, "every_ms: 0 ms: must be > 0",
         files={"s.toml": NET + '[record.weights.w]\nprojection = "x"\nevery_ms = 0.0\n'}),
    Case("report named like a rate network's", ["run", "s.toml"], 2, "rename one",
         files={"s.toml": NET + TASK + '[rate.l]\n[record.state.l_layer1]\npopulation = "n"\n'
                                       'variable = "V_m"\n'}),
    # --- tasks and training ------------------------------------------------------------
    Case("unknown dataset", ["run", "s.toml"], 2, "unknown dataset 'cifar'",
         files={"s.toml": '[task]\ndataset = "cifar"\n[rate.l]\n'}),
    Case("bars: more training examples than generated", ["run", "s.toml"], 2,
         "task.train_examples: 900: must be <= bars.train_examples",
         files={"s.toml": '[task]\ndataset = "bars"\ntrain_examples = 900\n[rate.l]\n'}),
    Case("bars grid 1e5 (memory)", ["run", "s.toml"], 2, "task.bars.grid",
         files={"s.toml": '[task]\ndataset = "bars"\n[task.bars]\ngrid = 100000\n[rate.l]\n'}),
    Case("impossible gaussian clusters", ["run", "s.toml"], 2, "task.gaussian_clusters.n_classes",
         files={"s.toml": '[task]\ndataset = "gaussian_clusters"\n[task.gaussian_clusters]\n'
                          'n_classes = 400\nradius = 0.2\n[rate.l]\n'}),
    Case("mnist directory missing", ["run", "s.toml"], 2, "missing from",
         files={"s.toml": MNIST_TASK}),
    Case("mnist data_dir a file", ["run", "s.toml"], 2, "missing from",
         files={"s.toml": MNIST_TASK, "m": "not a directory"}),
    Case("mnist limit above the files", ["run", "s.toml"], 2, "task.train_examples: 5: more than",
         files={"s.toml": MNIST_TASK.replace('"m"\n', '"m"\ntrain_examples = 5\n'),
                **mnist_files()}),
    Case("mnist test and training images of different shapes", ["run", "s.toml"], 2,
         "must have the same shape", files={"s.toml": MNIST_TASK, **mnist_files(test_shape=(14, 14))}),
    Case("mnist file with a wrong magic number", ["run", "s.toml"], 2, "train-images-idx3-ubyte",
         files={"s.toml": MNIST_TASK, **mnist_files(),
                "m/train-images-idx3-ubyte": idx((3, 28, 28), magic=b"\x01\x02\x03\x04")}),
    Case("mnist file truncated", ["run", "s.toml"], 2, "train-images-idx3-ubyte",
         files={"s.toml": MNIST_TASK, **mnist_files(),
                "m/train-images-idx3-ubyte": idx((3, 28, 28))[:100]}),
    Case("evaluate_at decreasing", ["run", "s.toml"], 2, "training.evaluate_at[1]",
         files={"s.toml": TASK + "evaluate_at = [10, 5]\n[rate.l]\n"}),
    Case("training without a task", ["run", "s.toml"], 2, "needs a [task] section",
         files={"s.toml": NET + "[training]\nexamples = 5\n"}),
    Case("rate network of 1e8 hidden units (memory)", ["run", "s.toml"], 2, "rate.l.hidden",
         files={"s.toml": TASK + "[rate.l]\nhidden = [100000000]\n"}),
    Case("rate batch of 0", ["run", "s.toml"], 2, "rate.l.batch_size",
         files={"s.toml": TASK + "[rate.l]\nbatch_size = 0\n"}),
    Case("spiking architecture unknown", ["run", "s.toml"], 2, "unknown architecture",
         files={"s.toml": TASK + '[spiking.s]\narchitecture = "lenet"\n'}),
    Case("spiking n_exc 4e6 (memory)", ["run", "s.toml"], 2, "spiking.s.n_exc",
         files={"s.toml": TASK + '[spiking.s]\narchitecture = "diehl_cook_2015"\nn_exc = 4000000\n'}),
    Case("spiking window backwards", ["run", "s.toml"], 2, "spike_windows[0]",
         files={"s.toml": TASK + '[spiking.s]\narchitecture = "diehl_cook_2015"\n'
                                 'spike_windows = [5, 1]\n'}),
    # --- a reward-trained readout ------------------------------------------------------
    Case("reward readout without reward projections", ["run", "s.toml"], 2,
         'spiking.s.reward_projections: []: readout = "reward" needs the projections',
         files=reward('reward_projections = ["in->out"]', "")),
    Case("reward projection that does not exist", ["run", "s.toml"], 2,
         'spiking.s.reward_projections[0]: "nope": no such projection',
         files=reward('["in->out"]', '["nope"]')),
    Case("reward projection twice", ["run", "s.toml"], 2,
         'spiking.s.reward_projections[1]: "in->out": given twice',
         files=reward('["in->out"]', '["in->out", "in->out"]')),
    Case("reward projection whose rule takes no modulator", ["run", "s.toml"], 2,
         "its plasticity (pair_stdp) takes no modulator",
         files=reward('rule = "reward_stdp"', 'rule = "pair_stdp"')),
    Case("reward amount 0", ["run", "s.toml"], 2,
         "spiking.s.reward_amount_per_ms: 0: must be finite and > 0",
         files=reward('readout = "reward"', 'readout = "reward"\nreward_amount_per_ms = 0.0')),
    Case("reward amount nan", ["run", "s.toml"], 2,
         "spiking.s.reward_amount_per_ms: nan: must be finite and > 0",
         files=reward('readout = "reward"', 'readout = "reward"\nreward_amount_per_ms = nan')),
    Case("reward amount negative", ["run", "s.toml"], 2,
         "spiking.s.reward_amount_per_ms: -1: must be finite and > 0",
         files=reward('readout = "reward"', 'readout = "reward"\nreward_amount_per_ms = -1.0')),
    Case("unknown reward decision", ["run", "s.toml"], 2,
         "unknown reward_decision 'last_spike' (did you mean 'first_spike'?",
         files=reward('readout = "reward"', 'readout = "reward"\nreward_decision = "last_spike"')),
    Case("negative reward window", ["run", "s.toml"], 2, "spiking.s.reward_window: -1",
         files=reward('readout = "reward"', 'readout = "reward"\nreward_window = -1')),
    Case("reward projections without a reward readout", ["run", "s.toml"], 2,
         'spiking.s.reward_projections: 1 projection(s) given: only readout = "reward"',
         files=reward('readout = "reward"', 'readout = "label_assignment"')),
    Case("reward window without a reward readout", ["run", "s.toml"], 2,
         'spiking.s.reward_window: 5: only readout = "reward"',
         files=reward('readout = "reward"\nreward_projections = ["in->out"]',
                      'readout = "linear"\nreward_window = 5')),
    Case("reward readout of a size that is not k per class", ["run", "s.toml"], 2,
         "needs k neurons per class, a multiple of the task's 10 classes",
         files=reward("size = 10", "size = 15")),
    Case("reward readout with label budgets", ["run", "s.toml"], 2,
         "training.label_budgets cannot apply to it",
         files=reward("[training]\nexamples = 20",
                      '[training]\nexamples = 20\nlabels = "seen"\nlabel_budgets = [5]')),
    Case("reward readout that does not learn while training", ["run", "s.toml"], 2,
         'spiking.s.plasticity_phases: without "train"',
         files=reward('readout = "reward"', 'readout = "reward"\nplasticity_phases = ["test"]')),
    # --- the microcircuit's inputs (poisson_background, redrawn normals, fixed_total_number) --
    Case("poisson background with a negative rate", ["run", "s.toml"], 2,
         "s.toml:14: populations.n.poisson_background.rate_hz: -8 Hz: must be finite and >= 0",
         files={"s.toml": NET + "[populations.n.poisson_background]\nrate_hz = -8.0\n"
                                "weight_nS = 1.0\n"}),
    Case("poisson background with an infinite rate", ["run", "s.toml"], 2,
         "populations.n.poisson_background.rate_hz: inf Hz",
         files={"s.toml": NET + "[populations.n.poisson_background]\nrate_hz = inf\n"
                                "weight_nS = 1.0\n"}),
    Case("poisson background on a receptor that does not exist", ["run", "s.toml"], 2,
         "populations.n.poisson_background.receptor: unknown receptor 'dopamine'",
         files={"s.toml": NET + "[populations.n.poisson_background]\nrate_hz = 8.0\n"
                                'weight_nS = 1.0\nreceptor = "dopamine"\n'}),
    Case("poisson background as a number", ["run", "s.toml"], 2,
         "populations.n.poisson_background: expected a table",
         files={"s.toml": NET.replace('model = "lif_cond"',
                                      'model = "lif_cond"\npoisson_background = 8.0')}),
    Case("delays redrawn within a range that holds nothing", ["run", "s.toml"], 2,
         "projections.x.delay_ms: normal(mean 1 ms, sd 0.1 ms) within [5 ms, inf ms]: the range "
         "holds",
         files={"s.toml": NET + "delay_ms = { normal = [1.0, 0.1], within = [5.0, inf] }\n"}),
    Case("delays redrawn within nan", ["run", "s.toml"], 2,
         "projections.x.delay_ms: within [nan ms, inf ms]",
         files={"s.toml": NET + "delay_ms = { normal = [1.0, 0.1], within = [nan, inf] }\n"}),
    Case("fixed_total_number of a negative count", ["run", "s.toml"], 2,
         "projections.x.connection.n: -5: must be >= 0",
         files={"s.toml": NET + 'connection = { rule = "fixed_total_number", n = -5 }\n'}),
    Case("fixed_total_number beyond 2^32 synapses", ["run", "s.toml"], 2,
         "projections.x.connection.n: 5000000000: must be <= 4294967295",
         files={"s.toml": NET + 'connection = { rule = "fixed_total_number", n = 5000000000 }\n'}),
    # --- outputs -----------------------------------------------------------------------
    Case("output is the scenario", ["run", "s.toml", "-o", "s.toml", "--force"], 2,
         "is an input of this run", files={"s.toml": NET}),
    Case("output is /dev/null", ["run", "s.toml", "-o", "/dev/null", "--force"], 2,
         "is a character device", files={"s.toml": NET}),
    Case("output is a directory", ["run", "s.toml", "-o", "out", "--force"], 2, "is a directory",
         files={"s.toml": NET, "out": DIRECTORY}),
    Case("output directory missing", ["run", "s.toml", "-o", "nowhere/out.h5"], 2,
         "does not exist", files={"s.toml": NET}),
    Case("existing output without --force", ["run", "s.toml", "-o", "out.h5"], 2, "exists",
         files={"s.toml": NET, "out.h5": "somebody's"}),
    Case("stale partial without --force", ["run", "s.toml", "-o", "out.h5"], 2,
         "partial output file exists", files={"s.toml": NET, "out.h5.partial": "left over"}),
    # --- numerics (the run starts: exit 3 keeps the .partial file) ---------------------
    Case("rk4 on a stiff conductance", ["run", "s.toml", "-o", "out.h5"], 3,
         "rk4 is unstable at t = ", written=("out.h5.partial",),
         files={"s.toml": NET.replace('[projections', 'C_m_pF = 0.5\n[projections')}),
    Case("a current that makes V_m infinite", ["run", "s.toml", "-o", "out.h5"], 3,
         "became", written=("out.h5.partial",),
         files={"s.toml": '[populations.n]\nmodel = "lif_curr"\nsize = 2\nI_e_pA = 1e308\n'
                          'C_m_pF = 1e-300\nV_th_mV = 1e308\n'}),
]


def materialise(directory, files):
    for name, content in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if content is FIFO:
            os.mkfifo(path)
        elif content is DIRECTORY:
            path.mkdir()
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


def snapshot(directory):
    """Every entry below `directory` with its type and, for files, its bytes."""
    entries = {}
    for path in sorted(directory.rglob("*")):
        mode = path.lstat().st_mode
        kind = "dir" if stat.S_ISDIR(mode) else "fifo" if stat.S_ISFIFO(mode) else "file"
        entries[str(path.relative_to(directory))] = (kind, path.read_bytes() if kind == "file" else None)
    return entries


def test_there_are_at_least_sixty_cases():
    assert len(CASES) >= 60
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_input(spikerate, tmp_path, case):
    materialise(tmp_path, case.files)
    before = snapshot(tmp_path)
    result = subprocess.run([str(spikerate.binary), *[str(a).format(d=tmp_path) for a in case.args]],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    message = result.stdout + result.stderr
    assert result.returncode == case.exit, f"exit {result.returncode}:\n{message}"
    assert case.fragment in message, message
    assert result.returncode >= 0, f"killed by signal {-result.returncode}"
    after = snapshot(tmp_path)
    for name in case.written:
        after.pop(name, None)
    assert after == before, f"the directory changed: {sorted(set(after) ^ set(before))}"
