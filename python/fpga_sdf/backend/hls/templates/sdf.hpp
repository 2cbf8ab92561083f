// fpga-sdf HLS templates: everything (header-only, namespace sdf).
#ifndef SDF_HPP
#define SDF_HPP

#include "sdf_common.hpp"
#include "sliding_window.hpp"
#include "conv.hpp"
#include "weights_fragments.hpp"
#include "sparse_conv.hpp"
#include "pool.hpp"
#include "activation.hpp"
#include "streams.hpp"

#endif  // SDF_HPP
