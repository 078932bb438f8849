"""The key reference: `spikerate keys` is generated from the catalog and the description
structs, data/scenarios/README.md holds exactly its markdown, and every key the shipped and
test scenarios use is in it."""
import subprocess
import tomllib

from conftest import REPO

SCENARIO_FILES = sorted((REPO / "data" / "scenarios").glob("*.toml")) + [
    REPO / "tests" / "sim" / "io" / "scenarios" / "full.toml",
    REPO / "analysis" / "scenarios" / "stdp_pairing.toml",
]


def test_readme_tables_are_the_generated_reference(spikerate):
    check = subprocess.run(["/usr/bin/python3", str(REPO / "data" / "scenarios" / "key_reference.py"),
                            "check", str(spikerate.binary)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_text_and_markdown_list_every_catalog_entry(spikerate):
    text = spikerate("keys")
    markdown = spikerate("keys", "--markdown")
    assert text.returncode == 0 and markdown.returncode == 0
    for entry in ['model = "lif_curr"', 'model = "lif_cond"', 'model = "poisson"',
                  'model = "spike_train"', 'plasticity = { rule = "pair_stdp" }',
                  'plasticity = { rule = "nearest_triplet_stdp" }',
                  'connection = { rule = "fixed_in_degree" }']:
        assert entry in text.stdout
        assert f"`{entry}`" in markdown.stdout
    # The shipped build has no catalog extension: the test-only entries are not there.
    assert "perfect_if" not in text.stdout and "modulated_tag" not in text.stdout


def leaf_keys(table, out):
    for key, value in table.items():
        if isinstance(value, dict):
            leaf_keys(value, out)
        out.add(key)
    return out


def test_every_key_the_scenarios_use_is_in_the_reference(spikerate):
    text = spikerate("keys").stdout
    documented = {line.split()[0] for line in text.splitlines() if line.startswith("    ")}
    tables = {"run", "populations", "projections", "modulators", "record", "weights", "state",
              "task", "training",
              "rate", "spiking", "exc", "inh", "stdp", "bars", "gaussian_clusters", "xor",
              "timing_classes", "uniform", "normal", "within", "rule"}
    for path in SCENARIO_FILES:
        data = tomllib.loads(path.read_text())
        names = set()
        # Element names (the keys of [populations.<name>] ...) are the user's, not keys.
        for section in ("populations", "projections", "modulators", "rate", "spiking"):
            for name, body in data.get(section, {}).items():
                names.add(name)
        for section in ("weights", "state"):
            names.update(data.get("record", {}).get(section, {}))
        # A spiking learner's network: [spiking.<name>.populations.<pop>] and .projections.
        networks = [data] + [body for body in data.get("spiking", {}).values()]
        initial_keys = set()
        for network in networks:
            for section in ("populations", "projections"):
                names.update(network.get(section, {}))
            for body in network.get("populations", {}).values():
                initial_keys.update(body.get("initial", {}))
        used = leaf_keys(data, set()) - names - tables - initial_keys
        # weight_<unit> and current_noise_<unit> take the unit of the model they act on;
        # poisson_background's keys (rate_hz, weight_<unit>, receptor) are listed in its row.
        missing = sorted(k for k in used if k not in documented
                         and not k.startswith(("weight_", "current_noise_"))
                         and k != "rate_hz")
        assert not missing, f"{path.name}: keys not in `spikerate keys`: {missing}"
