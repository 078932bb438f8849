// The energy model: every counted operation class has a cost with its source, the neuron
// update's operations are the ones its step performs, and the totals the trainers write are the
// sums of count x cost.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "sim/task/synthetic.hpp"
#include "sim/train/diehl_cook_2015.hpp"
#include "sim/train/energy.hpp"
#include "sim/train/gradient_trainer.hpp"
#include "sim/train/stdp_trainer.hpp"
#include "tests/sim/memory_output.hpp"

namespace task = spikerate::sim::task;
namespace train = spikerate::sim::train;
namespace testing = spikerate::testing;
using spikerate::models::OptimizerKind;
using spikerate::sim::Integration;

namespace {

std::vector<train::OperationCost> every_class() {
    std::vector<train::OperationCost> all{train::synaptic_event_cost(),
                                          train::plasticity_pre_cost("nearest_triplet_stdp"),
                                          train::plasticity_post_cost("nearest_triplet_stdp"),
                                          train::plasticity_post_term_cost("nearest_triplet_stdp"),
                                          train::mac_forward_cost(),
                                          train::mac_backward_cost()};
    for (const auto integration :
         {Integration::exponential_euler, Integration::euler, Integration::rk4}) {
        all.push_back(train::neuron_update_cost("lif_cond", integration));
    }
    for (const auto kind : {OptimizerKind::sgd, OptimizerKind::momentum, OptimizerKind::adam}) {
        all.push_back(train::weight_update_cost(kind));
    }
    return all;
}

// The totals of `lines`, summed here from the costs the sink received (not from energy.cpp).
struct HandTotals {
    double arithmetic = 0.0, sram = 0.0, dram = 0.0;
};
HandTotals by_hand(const testing::MemoryOutput& out, const std::string& base,
                   const std::string& phase, const std::vector<std::string>& classes) {
    HandTotals t;
    for (const auto& c : classes) {
        const double n = out.scalars.at(base + "/" + phase + "/" + c + "_per_example");
        const std::string cost = base + "/costs/" + c + "/";
        const double bytes =
            out.scalars.at(cost + "bytes_read") + out.scalars.at(cost + "bytes_written");
        const double arithmetic =
            0.9 * out.scalars.at(cost + "adds") + 3.7 * out.scalars.at(cost + "multiplies") +
            18.4 * out.scalars.at(cost + "divisions") + 36.8 * out.scalars.at(cost + "exps");
        CHECK(out.scalars.at(cost + "arithmetic_pj") == Approx(arithmetic));
        t.arithmetic += n * arithmetic;
        t.sram += n * (arithmetic + bytes / 4.0 * 5.0);
        t.dram += n * (arithmetic + bytes / 4.0 * 640.0);
    }
    return t;
}

void check_totals(const testing::MemoryOutput& out, const std::string& base,
                  const std::string& phase, const std::vector<std::string>& classes) {
    const HandTotals t = by_hand(out, base, phase, classes);
    const std::string totals = base + "/" + phase + "/";
    CHECK(out.scalars.at(totals + "arithmetic_pj_per_example") == Approx(t.arithmetic));
    CHECK(out.scalars.at(totals + "with_sram_pj_per_example") == Approx(t.sram));
    CHECK(out.scalars.at(totals + "with_dram_pj_per_example") == Approx(t.dram));
    CHECK(t.arithmetic > 0.0);
    CHECK(t.sram > t.arithmetic);
    CHECK(t.dram > t.sram);
    for (const auto& c : classes) {
        for (const char* leaf : {"arithmetic_pj", "sram_traffic_pj", "dram_traffic_pj", "adds"}) {
            const std::string path = base + "/costs/" + c + "/" + leaf;
            INFO(path);
            REQUIRE(out.sources.count(path) == 1);
            CHECK_FALSE(out.sources.at(path).empty());
        }
    }
}

}  // namespace

TEST_CASE("energy: every operation class has a non-zero cost and says where it was counted",
          "[energy][unit]") {
    for (const auto& c : every_class()) {
        INFO(c.id);
        CHECK(c.arithmetic_pj() > 0.0);
        CHECK(c.bytes_read + c.bytes_written > 0.0);
        CHECK(c.sram_traffic_pj() == Approx((c.bytes_read + c.bytes_written) / 4.0 * 5.0));
        CHECK(c.dram_traffic_pj() == Approx((c.bytes_read + c.bytes_written) / 4.0 * 640.0));
        CHECK_FALSE(c.counted_from.empty());
        CHECK_FALSE(c.id.empty());
    }
    CHECK_THROWS_AS(train::neuron_update_cost("lif_curr", Integration::exact), spikerate::Error);
    CHECK_THROWS_AS(train::plasticity_pre_cost("pair_stdp"), spikerate::Error);
    // The conventional figures are kept: an accumulate per synaptic event, a MAC at 4.6 pJ.
    CHECK(train::synaptic_event_cost().arithmetic_pj() == Approx(0.9));
    CHECK(train::mac_forward_cost().arithmetic_pj() == Approx(4.6));
}

TEST_CASE("energy: lif_cond's neuron update counts the operations of its step", "[energy][unit]") {
    // Counted by hand from LifCond::exponential_euler_step (per neuron):
    //   g_tot = g_L + g_e m_e + g_i m_i                        2 mul 2 add
    //   V_inf = (c0 + g_e c1 + g_i c2 + I_e) / g_tot           2 mul 3 add 1 div
    //   V = V_inf + (V - V_inf) exp(-(dt / C_m) g_tot)         2 mul 2 add 1 exp
    //   g_e, g_i, theta *= decay                               3 mul
    //   V - theta >= V_th                                      2 add
    const auto ee = train::neuron_update_cost("lif_cond", Integration::exponential_euler);
    CHECK(ee.ops == train::OpCounts{.adds = 9, .multiplies = 9, .divisions = 1, .exps = 1});
    CHECK(ee.arithmetic_pj() == Approx(9 * 0.9 + 9 * 3.7 + 4 * 4.6 + 8 * 4.6));
    CHECK(ee.bytes_read == 16);  // V_m, g_e, g_i, theta as 32-bit values
    CHECK(ee.bytes_written == 16);
    // LifCond::euler_step: the rates (4 mul 6 add for V_m, 3 mul for the decays), x += dt rate
    // (4 mul 4 add), the threshold (2 add).
    CHECK(train::neuron_update_cost("lif_cond", Integration::euler).ops ==
          train::OpCounts{.adds = 12, .multiplies = 11});
}

TEST_CASE("energy: the totals are the sums of count x cost", "[energy][unit]") {
    const std::vector<train::EnergyLine> lines{{train::synaptic_event_cost(), 1000.0},
                                               {train::mac_forward_cost(), 10.0}};
    const auto t = train::energy_totals(lines);
    // 1000 x (0.9 pJ + 12 B) and 10 x (4.6 pJ + 8 B).
    CHECK(t.arithmetic_pj == Approx(1000 * 0.9 + 10 * 4.6));
    CHECK(t.with_sram_pj == Approx(1000 * (0.9 + 3 * 5.0) + 10 * (4.6 + 2 * 5.0)));
    CHECK(t.with_dram_pj == Approx(1000 * (0.9 + 3 * 640.0) + 10 * (4.6 + 2 * 640.0)));
    CHECK(t.loihi_pj < 0.0);  // a MAC has no Loihi figure
    const std::vector<train::EnergyLine> spiking{{train::synaptic_event_cost(), 10.0}};
    CHECK(train::energy_totals(spiking).loihi_pj == Approx(236.0));
}

TEST_CASE("energy: a tiny STDP run writes every class, its cost, its source and the totals",
          "[energy][integration]") {
    task::Dataset images;
    images.name = "uniform";
    images.inputs = Eigen::MatrixXf::Constant(784, 3, 0.5F);
    images.labels = {0, 1, 2};
    images.n_classes = 3;
    images.image_shape = {28, 28};
    train::TrainingSchedule schedule;
    schedule.examples = 3;
    train::DiehlCook2015Params params;
    params.n_exc = 10;
    train::SpikingNetworkSpec section;
    section.name = "dc";
    section.record_weights = false;
    const auto spec = train::diehl_cook_2015_learner(params, 784, 1, section);
    testing::MemoryOutput out;
    train::StdpTrainer trainer(spec, images, images, task::ExampleStream(3, 1, false), schedule, 1,
                               nullptr, &out);
    trainer.train_until(3);
    REQUIRE(trainer.evaluate_and_record() != nullptr);
    trainer.finish();

    const auto& w = trainer.training_work();
    REQUIRE(w.plasticity_updates > 0);
    REQUIRE(w.on_post_updates > 0);       // the layer fired (the retry rule makes it)
    CHECK(w.on_post_updates % 784 == 0);  // a post spike updates all 784 input synapses
    CHECK(w.on_post_updates < w.plasticity_updates);
    const std::string base = "spiking/dc/energy";
    const auto count = [&](const char* phase, const char* c) {
        return out.scalars.at(base + "/" + phase + "/" + c + "_per_example");
    };
    CHECK(count("training", "synaptic_event") == Approx(w.synaptic_events / 3.0));
    CHECK(count("training", "neuron_update") == Approx(w.neuron_updates / 3.0));
    CHECK(count("training", "plasticity_pre") ==
          Approx((w.plasticity_updates - w.on_post_updates) / 3.0));
    CHECK(count("training", "plasticity_post") == Approx(w.on_post_updates / 3.0));
    CHECK(count("training", "plasticity_post_term") == Approx(w.post_terms / 3.0));
    // One post term per excitatory neuron and step with input arrivals: at most 10 per step.
    CHECK(w.post_terms % 10 == 0);
    CHECK(w.post_terms > 0);
    CHECK(w.post_terms < w.plasticity_updates - w.on_post_updates);
    CHECK(count("test", "plasticity_pre") == 0.0);  // frozen
    CHECK(count("test", "plasticity_post_term") == 0.0);
    const std::vector<std::string> classes{"synaptic_event", "neuron_update", "plasticity_pre",
                                           "plasticity_post", "plasticity_post_term"};
    check_totals(out, base, "training", classes);
    check_totals(out, base, "test", classes);
    // Inference has a Loihi figure for every class it uses; learning has none.
    CHECK(out.scalars.count(base + "/test/loihi_pj_per_example") == 1);
    CHECK(out.scalars.count(base + "/training/loihi_pj_per_example") == 0);
}

TEST_CASE("energy: a rate network prices its MACs and its parameter updates",
          "[energy][integration]") {
    const auto bars = task::make_bars({.grid = 4, .train_examples = 50, .test_examples = 20}, 3);
    train::RateNetworkSpec spec{.name = "mlp", .batch_size = 20};
    spec.network.hidden = {6};
    spec.optimizer.kind = OptimizerKind::momentum;
    const train::TrainingSchedule schedule{.examples = 50};
    testing::MemoryOutput out;
    train::GradientTrainer trainer(spec, bars.train, bars.test,
                                   task::ExampleStream(bars.train.size(), 3, true), schedule, 3,
                                   nullptr, &out);
    trainer.train_until(50);
    trainer.evaluate_and_record();
    trainer.finish();

    // 16 inputs, 6 hidden, 8 classes: 16*6 + 6*8 = 144 weights, 14 biases; 3 optimizer steps
    // (batches of 20, 20, 10) for 50 examples.
    const double parameters = 144 + 14;
    CHECK(trainer.parameter_updates() == 3 * 158);
    const std::string base = "rate/mlp/energy";
    CHECK(out.scalars.at(base + "/training/mac_forward_per_example") == 144);
    CHECK(out.scalars.at(base + "/training/mac_backward_per_example") == 144 + 48);
    CHECK(out.scalars.at(base + "/training/weight_update_per_example") ==
          Approx(3 * parameters / 50));
    CHECK(out.scalars.at(base + "/test/mac_forward_per_example") == 144);
    check_totals(out, base, "training", {"mac_forward", "mac_backward", "weight_update"});
    check_totals(out, base, "test", {"mac_forward"});
    // Momentum: v = mu v + g, w -= lr v.
    CHECK(out.scalars.at(base + "/costs/weight_update/multiplies") == 2);
    CHECK(out.scalars.at(base + "/costs/weight_update/adds") == 2);
}
