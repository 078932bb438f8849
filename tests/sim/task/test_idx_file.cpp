// The IDX reader against tiny files written here byte by byte (so the expected arrays are known
// exactly), its error messages for each kind of malformed file, and load_mnist on a fake MNIST
// directory of 28 x 28 images; the real MNIST files are checked when data/fetch_mnist.sh has
// fetched them.

#include <stdlib.h>  // mkdtemp

#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "sim/task/idx_file.hpp"
#include "sim/task/mnist.hpp"
#include "sim/task/task_spec.hpp"

namespace {

namespace task = spikerate::sim::task;
namespace fs = std::filesystem;
using Catch::Matchers::Contains;

// A fresh directory under the system's temporary directory, removed with its contents.
class TempDir {
  public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "spikerate-idx-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed for " + pattern);
        }
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

std::vector<std::uint8_t> idx_bytes(std::uint8_t type, const std::vector<std::uint32_t>& dims,
                                    const std::vector<std::uint8_t>& data) {
    std::vector<std::uint8_t> bytes = {0x00, 0x00, type, static_cast<std::uint8_t>(dims.size())};
    for (const std::uint32_t d : dims) {
        for (int shift = 24; shift >= 0; shift -= 8) {
            bytes.push_back(static_cast<std::uint8_t>(d >> shift));
        }
    }
    bytes.insert(bytes.end(), data.begin(), data.end());
    return bytes;
}

void write_file(const fs::path& file, const std::vector<std::uint8_t>& bytes) {
    std::ofstream out(file, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    REQUIRE(out.good());
}

void write_idx(const fs::path& file, const std::vector<std::uint32_t>& dims,
               const std::vector<std::uint8_t>& data) {
    write_file(file, idx_bytes(0x08, dims, data));
}

std::vector<std::uint8_t> iota_bytes(std::size_t n, std::uint8_t first = 0) {
    std::vector<std::uint8_t> data(n);
    std::iota(data.begin(), data.end(), first);
    return data;
}

constexpr std::size_t pixels = 28 * 28;

// Pixel p of fake image j: every byte value occurs, and images differ.
std::uint8_t fake_pixel(std::size_t j, std::size_t p) {
    return static_cast<std::uint8_t>((31 * j + p) % 256);
}

std::vector<std::uint8_t> fake_images(std::size_t n) {
    std::vector<std::uint8_t> data(n * pixels);
    for (std::size_t j = 0; j < n; ++j) {
        for (std::size_t p = 0; p < pixels; ++p) {
            data[j * pixels + p] = fake_pixel(j, p);
        }
    }
    return data;
}

const std::vector<std::uint8_t> fake_train_labels = {7, 0, 9};
const std::vector<std::uint8_t> fake_test_labels = {3, 5};

// A directory with MNIST's four file names: 3 training and 2 test images.
void write_fake_mnist(const fs::path& dir) {
    write_idx(dir / "train-images-idx3-ubyte", {3, 28, 28}, fake_images(3));
    write_idx(dir / "train-labels-idx1-ubyte", {3}, fake_train_labels);
    write_idx(dir / "t10k-images-idx3-ubyte", {2, 28, 28}, fake_images(2));
    write_idx(dir / "t10k-labels-idx1-ubyte", {2}, fake_test_labels);
}

}  // namespace

TEST_CASE("idx: well-formed files read back exactly", "[idx][integration]") {
    const TempDir dir;
    SECTION("1-D labels") {
        const std::vector<std::uint8_t> labels = {0, 1, 2, 9, 255};
        write_idx(dir.path() / "labels", {5}, labels);
        const task::IdxArray a = task::read_idx_ubyte(dir.path() / "labels", 1);
        CHECK(a.dims == std::vector<std::uint32_t>{5});
        CHECK(a.data == labels);
    }
    SECTION("3-D images, dimensions above 255 (all four header bytes matter)") {
        const std::vector<std::uint8_t> data = iota_bytes(2 * 3 * 4);
        write_idx(dir.path() / "images", {2, 3, 4}, data);
        const task::IdxArray a = task::read_idx_ubyte(dir.path() / "images", 3);
        CHECK(a.dims == std::vector<std::uint32_t>{2, 3, 4});
        CHECK(a.data == data);

        const std::vector<std::uint8_t> wide(1 * 1 * 0x0102);
        write_idx(dir.path() / "wide", {1, 1, 0x0102}, wide);
        CHECK(task::read_idx_ubyte(dir.path() / "wide", 3).dims ==
              std::vector<std::uint32_t>{1, 1, 258});
    }
}

TEST_CASE("idx: malformed files are rejected with what is wrong", "[idx][integration]") {
    const TempDir dir;
    const fs::path file = dir.path() / "bad";
    const std::vector<std::uint8_t> data = iota_bytes(3 * 2 * 2);

    SECTION("missing file: the message names the path") {
        const fs::path missing = dir.path() / "no-such-file";
        CHECK_THROWS_AS(task::read_idx_ubyte(missing, 1), spikerate::DataError);
        CHECK_THROWS_WITH(task::read_idx_ubyte(missing, 1),
                          Contains(missing.string()) && Contains("no such file"));
    }
    SECTION("wrong magic: the bytes found and expected") {
        std::vector<std::uint8_t> bytes = idx_bytes(0x08, {3, 2, 2}, data);
        bytes[0] = 0x1F;
        bytes[1] = 0x8B;
        write_file(file, bytes);
        CHECK_THROWS_WITH(task::read_idx_ubyte(file, 3),
                          Contains(file.string()) && Contains("0x1f 0x8b") &&
                              Contains("expected 0x00 0x00") && Contains("gzip"));
        bytes[0] = 0x00;
        bytes[1] = 0x01;
        write_file(file, bytes);
        CHECK_THROWS_WITH(task::read_idx_ubyte(file, 3), Contains("0x00 0x01, expected 0x00 0x00"));
    }
    SECTION("wrong element type") {
        write_file(file, idx_bytes(0x0D, {3, 2, 2}, data));
        CHECK_THROWS_WITH(task::read_idx_ubyte(file, 3),
                          Contains(file.string()) && Contains("element type 0x0d (float)") &&
                              Contains("expected 0x08 (unsigned byte)"));
    }
    SECTION("wrong number of dimensions") {
        write_idx(file, {12}, data);
        CHECK_THROWS_WITH(task::read_idx_ubyte(file, 3),
                          Contains(file.string()) && Contains("has 1 dimension, expected 3"));
    }
    SECTION("truncated data: header 4 + 3 * 4 = 16 bytes, 12 elements") {
        write_file(file, idx_bytes(0x08, {3, 2, 2}, iota_bytes(11)));
        CHECK_THROWS_WITH(task::read_idx_ubyte(file, 3),
                          Contains(file.string()) &&
                              Contains("has 27 bytes, expected 28 for 3 x 2 x 2 (truncated)"));
    }
    SECTION("trailing bytes") {
        write_file(file, idx_bytes(0x08, {3, 2, 2}, iota_bytes(13)));
        CHECK_THROWS_WITH(
            task::read_idx_ubyte(file, 3),
            Contains("has 29 bytes, expected 28 for 3 x 2 x 2") && Contains("trailing bytes"));
    }
    SECTION("truncated header") {
        write_file(file, {0x00, 0x00});
        CHECK_THROWS_WITH(task::read_idx_ubyte(file, 1),
                          Contains("has 2 bytes, too short for an IDX header"));
        write_file(file, {0x00, 0x00, 0x08, 0x03, 0x00, 0x00, 0x00, 0x03});
        CHECK_THROWS_WITH(task::read_idx_ubyte(file, 3),
                          Contains("has 8 bytes, too short for the header of 3 dimensions"));
    }
    SECTION("zero dimension") {
        write_idx(file, {3, 0, 2}, {});
        CHECK_THROWS_WITH(task::read_idx_ubyte(file, 3),
                          Contains("dimension 1 of 3 x 0 x 2 is zero"));
    }
    SECTION("a directory") {
        CHECK_THROWS_WITH(task::read_idx_ubyte(dir.path(), 1), Contains("is a directory"));
    }
}

TEST_CASE("mnist: a fake directory loads with pixels / 255, labels and names",
          "[idx][mnist][integration]") {
    const TempDir dir;
    write_fake_mnist(dir.path());
    const task::Task mnist = task::load_mnist(dir.path());
    CHECK(mnist.name == "mnist");
    CHECK(mnist.train.name == "mnist/train");
    CHECK(mnist.test.name == "mnist/test");
    REQUIRE(mnist.train.size() == 3);
    REQUIRE(mnist.test.size() == 2);
    for (const task::Dataset* set : {&mnist.train, &mnist.test}) {
        CHECK(set->n_inputs() == pixels);
        CHECK(set->n_classes == 10);
        CHECK(set->image_shape == std::array<std::size_t, 2>{28, 28});
        CHECK_NOTHROW(set->validate());
        bool exact = true;  // pixel p of image j is byte j * 784 + p, divided by 255 in float
        for (std::size_t j = 0; j < set->size(); ++j) {
            for (std::size_t p = 0; p < pixels; ++p) {
                exact =
                    exact && set->example(j)[p] == static_cast<float>(fake_pixel(j, p)) / 255.0f;
            }
        }
        CHECK(exact);
    }
    CHECK(mnist.train.labels == std::vector<std::uint32_t>{7, 0, 9});
    CHECK(mnist.test.labels == std::vector<std::uint32_t>{3, 5});
    CHECK(mnist.train.inputs.minCoeff() == 0.0f);  // byte 0 -> 0, byte 255 -> exactly 1
    CHECK(mnist.train.inputs.maxCoeff() == 1.0f);
}

TEST_CASE("mnist: limits keep the first n examples", "[idx][mnist][integration]") {
    const TempDir dir;
    write_fake_mnist(dir.path());
    const task::Task all = task::load_mnist(dir.path());
    const task::Task some = task::load_mnist(dir.path(), 2, 1);
    REQUIRE(some.train.size() == 2);
    REQUIRE(some.test.size() == 1);
    CHECK(some.train.labels == std::vector<std::uint32_t>{7, 0});
    CHECK(some.test.labels == std::vector<std::uint32_t>{3});
    CHECK(some.train.inputs == all.train.inputs.leftCols(2));
    CHECK(some.test.inputs == all.test.inputs.leftCols(1));
    CHECK(task::load_mnist(dir.path(), 3, 2).train.inputs == all.train.inputs);

    // A limit above the file's examples names its key (the scenario loader locates it).
    CHECK_THROWS_WITH(task::load_mnist(dir.path(), 4, 0),
                      Contains("train_examples = 4: more than the 3 examples of") &&
                          Contains("train-images-idx3-ubyte"));
    CHECK_THROWS_WITH(task::load_mnist(dir.path(), 0, 3),
                      Contains("test_examples = 3: more than the 2 examples"));
    try {
        task::load_mnist(dir.path(), 4, 0);
    } catch (const spikerate::ParamError& e) {
        CHECK(e.key() == "train_examples");
    }

    SECTION("through load_task with data_dir") {
        task::TaskSpec spec{.dataset = task::DatasetKind::mnist,
                            .data_dir = dir.path(),
                            .train_examples = 2,
                            .test_examples = 1};
        const task::Task loaded = task::load_task(spec, 1);
        CHECK(loaded.train.inputs == some.train.inputs);
        CHECK(loaded.test.labels == some.test.labels);
    }
}

TEST_CASE("mnist: inconsistent or missing files are reported", "[idx][mnist][integration]") {
    const TempDir dir;
    write_fake_mnist(dir.path());
    SECTION("image and label counts differ: both files and counts are named") {
        write_idx(dir.path() / "train-labels-idx1-ubyte", {2}, {7, 0});
        CHECK_THROWS_AS(task::load_mnist(dir.path()), spikerate::DataError);
        CHECK_THROWS_WITH(task::load_mnist(dir.path()),
                          Contains("train-images-idx3-ubyte has 3 images") &&
                              Contains("train-labels-idx1-ubyte has 2 labels"));
    }
    SECTION("a label that is not a digit") {
        write_idx(dir.path() / "t10k-labels-idx1-ubyte", {2}, {3, 10});
        CHECK_THROWS_WITH(task::load_mnist(dir.path()), Contains("t10k-labels-idx1-ubyte") &&
                                                            Contains("label 10 of example 1") &&
                                                            Contains("expected < 10"));
    }
    SECTION("images of the wrong rank") {
        write_idx(dir.path() / "t10k-images-idx3-ubyte", {2, 784}, fake_images(2));
        CHECK_THROWS_WITH(task::load_mnist(dir.path()),
                          Contains("t10k-images-idx3-ubyte") && Contains("has 2 dimensions"));
    }
    SECTION("a missing file: the message says how to fetch") {
        fs::remove(dir.path() / "t10k-labels-idx1-ubyte");
        CHECK_THROWS_WITH(task::load_mnist(dir.path()), Contains("t10k-labels-idx1-ubyte") &&
                                                            Contains(dir.path().string()) &&
                                                            Contains("run data/fetch_mnist.sh"));
    }
}

TEST_CASE("mnist: the fetched files have MNIST's counts and first labels",
          "[idx][mnist][integration]") {
    const fs::path dir = task::default_mnist_directory();
    CHECK(dir.filename() == "mnist");  // <repository>/data/cache/mnist
    CHECK(fs::exists(dir.parent_path().parent_path() / "fetch_mnist.sh"));
    // `make test` fetches MNIST first; run by hand without it, this fails saying how to fetch.
    INFO("MNIST is expected in " << dir.string() << ": run data/fetch_mnist.sh (make test does)");
    REQUIRE(fs::exists(dir / "train-images-idx3-ubyte"));
    const task::Task mnist = task::load_mnist(dir);
    CHECK(mnist.train.size() == 60000);
    CHECK(mnist.test.size() == 10000);
    CHECK(mnist.train.image_shape == std::array<std::size_t, 2>{28, 28});
    CHECK(mnist.train.labels.front() == 5);  // the first training digit is a 5, the first test a 7
    CHECK(mnist.test.labels.front() == 7);
    std::array<std::size_t, 10> train_counts{};
    for (const std::uint32_t label : mnist.train.labels) ++train_counts[label];
    // LeCun & Cortes's class counts of the training set.
    CHECK(train_counts ==
          std::array<std::size_t, 10>{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949});
    CHECK_NOTHROW(mnist.train.validate());
    CHECK_NOTHROW(mnist.test.validate());
}
