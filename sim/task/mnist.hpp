#pragma once

// MNIST (LeCun, Bottou, Bengio & Haffner 1998; LeCun & Cortes, http://yann.lecun.com/exdb/mnist/)
// from its four original IDX files: 60,000 training and 10,000 test images of 28 x 28 pixels,
// digits 0-9. Pixels are scaled by 1/255 to [0, 1]; an image's pixels are stored row by row in
// its column of Dataset::inputs. data/fetch_mnist.sh downloads the files.

#include <array>
#include <cstddef>
#include <filesystem>
#include <vector>

#include "sim/task/dataset.hpp"

namespace spikerate::sim::task {

// Loads train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
// t10k-labels-idx1-ubyte from `directory` into the task "mnist" (sets "mnist/train",
// "mnist/test"). train_limit, test_limit: 0 = every example, else the first n. Throws DataError
// for a missing file (saying how to fetch it), a malformed file, image and label counts that
// differ, training and test images of different shapes or a label >= 10, and ParamError naming
// train_examples or test_examples for a limit above the number of examples in the file.
Task load_mnist(const std::filesystem::path& directory, std::size_t train_limit = 0,
                std::size_t test_limit = 0);

// The four files, in the order training images, training labels, test images, test labels.
inline constexpr std::array mnist_file_names = {"train-images-idx3-ubyte",
                                                "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                                                "t10k-labels-idx1-ubyte"};
std::vector<std::filesystem::path> mnist_files(const std::filesystem::path& directory);

// The directory data/fetch_mnist.sh fills by default: <repository>/data/cache/mnist.
std::filesystem::path default_mnist_directory();

}  // namespace spikerate::sim::task
