#pragma once

// The one way a learner reads the label of a training example. Fair accounting (a learner
// never reads a label of an example it has not seen; labels are counted) is a property of who
// calls it when: a test can attach an observer and see every label read (the example's index in
// the data set), without the learner knowing.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>

#include "sim/task/dataset.hpp"

namespace spikerate::sim::task {

class LabelReader {
  public:
    explicit LabelReader(const Dataset& data) : data_(&data) {}

    std::uint32_t operator()(std::size_t index) const {
        if (observer_) observer_(index);
        return data_->labels[index];
    }
    // Called with the example's index before each read; empty = none.
    void set_observer(std::function<void(std::size_t)> observer) {
        observer_ = std::move(observer);
    }

  private:
    const Dataset* data_;
    std::function<void(std::size_t)> observer_;
};

}  // namespace spikerate::sim::task
