// CPU conv2d through oneDNN 2.x primitives, f32 (the default path; kernels/cpu/nn_conv_paths.h).
//
// Layout, NCHW (the default): cohort's tensors stay plain NCHW / [K, C/G, R, S]. For a 3x3 (or any non-pointwise)
// convolution the primitive is created with format_tag::any, so oneDNN picks its blocked layouts
// (nChw16c on AVX-512) and its direct JIT kernels; the arguments are reordered into those layouts
// and the result back on every call. Measured during development (batch 64, one thread, the
// two variants in one process) against primitives forced onto plain layouts, which oneDNN runs
// as im2col + GEMM, the blocked kernels plus reorders were 3-10x faster on ResNet's 3x3 and
// MobileNet's depthwise layers. For pointwise (1x1, stride 1, no padding) convolutions the
// plain layouts measured as fast or faster, because there the reorders cost as much as the GEMM
// itself; those keep NCHW and need no reorder.
// Layout, channels last (Conv2dParams::channels_last): the activations are NHWC and are handed
// to oneDNN as they are, with only the weights in `any` (so reordered, as always). oneDNN 2.6
// runs NHWC convolutions with the same AVX-512 kernel families as blocked ones (brgconv forward,
// jit backward), so no activation is converted at all: PyTorch's ResNet-32 step is 1.2-1.3x
// faster in channels_last than in NCHW on the same oneDNN (docs/benchmarks.md).
//
// Caching: one primitive per (direction, shapes, stride, padding, dilation, groups, bias),
// created on first use and kept per thread (an entry's argument memories and the buffers are
// per-call state, so two threads must not share them). The blocked copies of the arguments
// and oneDNN's scratchpad live in per-thread buffers shared by all primitives (a call needs them
// only while it runs) that grow and shrink with the stage being computed (Workspace below).
// Weights are reordered on every call: the optimiser changes them each step.
//
// Threads: Debian's oneDNN uses OpenMP and runs on omp_get_max_threads() threads, like the rest
// of the CPU backend (OMP_NUM_THREADS).
//
// Failures: a dnnl::error or an allocation failure makes the call return false; the reason is
// reported once per cached shape (which is then never retried) and the dispatcher falls back to
// the reference.
#include <dnnl.hpp>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "kernels/cpu/nn_conv_paths.h"

namespace cohort::cpu::conv_onednn {

namespace {

using dnnl::memory;
using Tag = memory::format_tag;

enum class Direction { forward, backward_data, backward_weight };

const char* direction_name(Direction d) {
  switch (d) {
    case Direction::forward: return "conv2d_forward";
    case Direction::backward_data: return "conv2d_backward_data";
    case Direction::backward_weight: return "conv2d_backward_weight";
  }
  return "conv2d";
}

// Everything a primitive depends on.
// x and y are the logical [N, C, H, W] dims in either layout.
struct Key {
  Direction direction;
  std::array<int64_t, 4> x, w, y;
  int64_t stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w, groups;
  bool bias;
  bool channels_last;
  bool operator==(const Key&) const = default;
};

struct KeyHash {
  size_t operator()(const Key& k) const {
    size_t h = static_cast<size_t>(k.direction) * 4 + (k.bias ? 1 : 0) + (k.channels_last ? 2 : 0);
    auto mix = [&h](int64_t v) { h ^= std::hash<int64_t>{}(v) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2); };
    for (const auto* dims : {&k.x, &k.w, &k.y})
      for (int64_t v : *dims) mix(v);
    for (int64_t v : {k.stride_h, k.stride_w, k.pad_h, k.pad_w, k.dilation_h, k.dilation_w, k.groups}) mix(v);
    return h;
  }
};

std::array<int64_t, 4> dims4(const Dims& s) { return {s[0], s[1], s[2], s[3]}; }
// The logical [N, C, H, W] dims of an activation view in the layout p names.
std::array<int64_t, 4> activation_dims(const Dims& s, const Conv2dParams& p) {
  return p.channels_last ? std::array<int64_t, 4>{s[0], s[3], s[1], s[2]} : dims4(s);
}

Key make_key(Direction d, const Dims& x, const Dims& w, const Dims& y, const Conv2dParams& p,
             bool bias) {
  return {d, activation_dims(x, p), dims4(w), activation_dims(y, p), p.stride_h, p.stride_w, p.pad_h,
          p.pad_w, p.dilation_h, p.dilation_w, p.groups, bias, p.channels_last};
}

std::string describe(const Key& k) {
  return fmt::format("{} of x [{}], w [{}], y [{}], stride ({}, {}), padding ({}, {}), dilation ({}, {}), "
                     "groups {}{}{}",
                     direction_name(k.direction), fmt::join(k.x, ", "), fmt::join(k.w, ", "),
                     fmt::join(k.y, ", "), k.stride_h, k.stride_w, k.pad_h, k.pad_w, k.dilation_h,
                     k.dilation_w, k.groups, k.bias ? ", with bias" : "",
                     k.channels_last ? ", channels last (x and y given as NHWC)" : "");
}

// Per-thread buffers, one slot per kind of argument: the two activation-sized arguments, the
// weight-sized one, oneDNN's scratchpad. Slots grow to the largest request. The activation slots
// also shrink when a request needs half of them or less: a network's layers come in stages of
// falling resolution, so those buffers follow the stage being computed instead of holding the
// first stage's size through the memory peak at the end of the forward pass (a few reallocations
// per step, not one per call). The weight and scratchpad slots are small and only grow.
class Workspace {
 public:
  static constexpr size_t kActivationSlotA = 0, kWeightSlot = 1, kActivationSlotB = 2, kScratchSlot = 3;

  void* slot(size_t i, size_t bytes) {
    Buffer& b = buffers_[i];
    const bool shrinks = i == kActivationSlotA || i == kActivationSlotB;
    if (b.bytes < bytes || (shrinks && bytes <= b.bytes / 2)) {
      b.data.reset();  // release first: the old contents are not needed
      const size_t rounded = (bytes + kAlign - 1) / kAlign * kAlign;
      b.data.reset(static_cast<char*>(std::aligned_alloc(kAlign, rounded)));
      b.bytes = b.data ? rounded : 0;
      if (!b.data) throw std::bad_alloc();
    }
    return b.data.get();
  }

 private:
  static constexpr size_t kSlots = 4;
  static constexpr size_t kAlign = 64;
  struct Free { void operator()(char* p) const { std::free(p); } };
  struct Buffer { std::unique_ptr<char, Free> data; size_t bytes = 0; };
  std::array<Buffer, kSlots> buffers_;
};

const dnnl::engine& cpu_engine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

// One argument of a primitive: the caller's plain memory and, when the primitive wants another
// layout, its own copy in a workspace slot with the reorder between the two.
struct Arg {
  int id = 0;  // DNNL_ARG_*
  memory user, inner;
  std::optional<dnnl::reorder> reorder;  // user -> inner for inputs, inner -> user for the output
  size_t slot = 0;

  static Arg make(int id, const memory::desc& user_desc, const memory::desc& inner_desc, size_t slot,
                  bool is_output) {
    Arg a;
    a.id = id;
    a.slot = slot;
    a.user = memory(user_desc, cpu_engine(), DNNL_MEMORY_NONE);
    if (inner_desc == user_desc) {
      a.inner = a.user;
    } else {
      a.inner = memory(inner_desc, cpu_engine(), DNNL_MEMORY_NONE);
      a.reorder = is_output ? dnnl::reorder(a.inner, a.user) : dnnl::reorder(a.user, a.inner);
    }
    return a;
  }
  void bind(void* data, Workspace& ws) {
    user.set_data_handle(data);
    if (reorder) inner.set_data_handle(ws.slot(slot, inner.get_desc().get_size()));
  }
};

// A cached primitive with its arguments; `failed` marks a shape oneDNN could not run.
struct Entry {
  bool failed = false;
  std::optional<dnnl::primitive> primitive;
  std::vector<Arg> inputs;  // in the order the public functions pass their pointers
  Arg output;
  memory scratchpad;
  std::unordered_map<int, memory> args;  // the inner memories by DNNL_ARG_*, built once
};

// The plain memory descriptors of a convolution and the geometry oneDNN takes.
struct ConvDescs {
  memory::desc x, w, y, bias;
  memory::dims strides, dilates, padding;
  bool pointwise, channels_last;
};

ConvDescs plain_descs(const Key& k) {
  ConvDescs d;
  const auto f32 = memory::data_type::f32;
  const Tag activations = k.channels_last ? Tag::nhwc : Tag::nchw;  // dims are [N, C, H, W] in both
  d.x = memory::desc({k.x[0], k.x[1], k.x[2], k.x[3]}, f32, activations);
  d.y = memory::desc({k.y[0], k.y[1], k.y[2], k.y[3]}, f32, activations);
  if (k.groups > 1)  // oneDNN's grouped weights [G, K/G, C/G, R, S]: the same bytes as cohort's [K, C/G, R, S]
    d.w = memory::desc({k.groups, k.w[0] / k.groups, k.w[1], k.w[2], k.w[3]}, f32, Tag::goihw);
  else
    d.w = memory::desc({k.w[0], k.w[1], k.w[2], k.w[3]}, f32, Tag::oihw);
  d.bias = memory::desc({k.w[0]}, f32, Tag::x);
  d.strides = {k.stride_h, k.stride_w};
  d.dilates = {k.dilation_h - 1, k.dilation_w - 1};  // oneDNN counts the gaps: 0 = dense
  d.padding = {k.pad_h, k.pad_w};
  d.pointwise = k.w[2] == 1 && k.w[3] == 1 && k.stride_h == 1 && k.stride_w == 1 && k.pad_h == 0 &&
                k.pad_w == 0;
  d.channels_last = k.channels_last;
  return d;
}

memory::desc any_layout(const memory::desc& plain) { return {plain.dims(), plain.data_type(), Tag::any}; }

// The descriptors the primitive is created with: plain for pointwise NCHW convolutions, else
// `any`; with channels last the activations as they are and the weights `any`.
memory::desc chosen(const ConvDescs& d, const memory::desc& plain) {
  return d.pointwise && !d.channels_last ? plain : any_layout(plain);
}
memory::desc chosen_activation(const ConvDescs& d, const memory::desc& plain) {
  return d.channels_last ? plain : chosen(d, plain);
}

dnnl::convolution_forward::primitive_desc forward_pd(const ConvDescs& d, bool bias,
                                                     const dnnl::primitive_attr& attr) {
  using F = dnnl::convolution_forward;
  const auto prop = dnnl::prop_kind::forward_training;
  const auto algo = dnnl::algorithm::convolution_direct;
  const memory::desc x = chosen_activation(d, d.x), w = chosen(d, d.w), y = chosen_activation(d, d.y);
  const F::desc desc = bias ? F::desc(prop, algo, x, w, d.bias, y, d.strides, d.dilates, d.padding, d.padding)
                            : F::desc(prop, algo, x, w, y, d.strides, d.dilates, d.padding, d.padding);
  return F::primitive_desc(desc, attr, cpu_engine());
}

// Backward-data and backward-weights take the same descriptor and a forward hint.
template <typename Backward>
typename Backward::primitive_desc backward_pd(const ConvDescs& d, const dnnl::primitive_attr& attr) {
  const typename Backward::desc desc(dnnl::algorithm::convolution_direct, chosen_activation(d, d.x),
                                     chosen(d, d.w), chosen_activation(d, d.y), d.strides, d.dilates,
                                     d.padding, d.padding);
  return typename Backward::primitive_desc(desc, attr, cpu_engine(), forward_pd(d, false, attr));
}

std::unique_ptr<Entry> create_entry(const Key& k) {
  const ConvDescs d = plain_descs(k);
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);  // scratchpad from the workspace
  auto e = std::make_unique<Entry>();
  memory::desc scratch_desc;
  constexpr size_t kActA = Workspace::kActivationSlotA, kActB = Workspace::kActivationSlotB,
                   kWeight = Workspace::kWeightSlot;
  switch (k.direction) {
    case Direction::forward: {
      const auto pd = forward_pd(d, k.bias, attr);
      e->inputs.push_back(Arg::make(DNNL_ARG_SRC, d.x, pd.src_desc(), kActA, false));
      e->inputs.push_back(Arg::make(DNNL_ARG_WEIGHTS, d.w, pd.weights_desc(), kWeight, false));
      if (k.bias) e->inputs.push_back(Arg::make(DNNL_ARG_BIAS, d.bias, d.bias, kWeight, false));
      e->output = Arg::make(DNNL_ARG_DST, d.y, pd.dst_desc(), kActB, true);
      scratch_desc = pd.scratchpad_desc();
      e->primitive = dnnl::convolution_forward(pd);
      break;
    }
    case Direction::backward_data: {
      const auto pd = backward_pd<dnnl::convolution_backward_data>(d, attr);
      e->inputs.push_back(Arg::make(DNNL_ARG_DIFF_DST, d.y, pd.diff_dst_desc(), kActA, false));
      e->inputs.push_back(Arg::make(DNNL_ARG_WEIGHTS, d.w, pd.weights_desc(), kWeight, false));
      e->output = Arg::make(DNNL_ARG_DIFF_SRC, d.x, pd.diff_src_desc(), kActB, true);
      scratch_desc = pd.scratchpad_desc();
      e->primitive = dnnl::convolution_backward_data(pd);
      break;
    }
    case Direction::backward_weight: {
      const auto pd = backward_pd<dnnl::convolution_backward_weights>(d, attr);
      e->inputs.push_back(Arg::make(DNNL_ARG_DIFF_DST, d.y, pd.diff_dst_desc(), kActA, false));
      e->inputs.push_back(Arg::make(DNNL_ARG_SRC, d.x, pd.src_desc(), kActB, false));
      e->output = Arg::make(DNNL_ARG_DIFF_WEIGHTS, d.w, pd.diff_weights_desc(), kWeight, true);
      scratch_desc = pd.scratchpad_desc();
      e->primitive = dnnl::convolution_backward_weights(pd);
      break;
    }
  }
  e->scratchpad = memory(scratch_desc, cpu_engine(), DNNL_MEMORY_NONE);
  for (const Arg& a : e->inputs) e->args.emplace(a.id, a.inner);
  e->args.emplace(e->output.id, e->output.inner);
  if (scratch_desc.get_size() > 0) e->args.emplace(DNNL_ARG_SCRATCHPAD, e->scratchpad);
  return e;
}

// Per-thread primitives and buffers.
struct ThreadState {
  // Tests sweep many shapes; a training run uses a few dozen. Beyond this the cache starts over.
  static constexpr size_t kMaxEntries = 256;
  std::unordered_map<Key, std::unique_ptr<Entry>, KeyHash> entries;
  Workspace workspace;
  dnnl::stream stream{cpu_engine()};
};

ThreadState& thread_state() {
  thread_local ThreadState state;
  return state;
}

void report_failure(const Key& k, const char* what) {
  std::fprintf(stderr, "cohort: oneDNN could not run %s (%s); using the reference im2col path for this shape\n",
               describe(k).c_str(), what);
}

// inputs[i] is the data of e.inputs[i]; the memories in e.args point into them (or their copies).
// first_input_ready: the blocked copy of inputs[0] is already in its workspace slot (put there by
// the previous primitive, which wanted the same layout), so it is not reordered again.
void execute(Entry& e, ThreadState& ts, const std::array<const void*, 3>& inputs, void* output,
             bool first_input_ready = false) {
  for (size_t i = 0; i < e.inputs.size(); ++i) {
    Arg& a = e.inputs[i];
    a.bind(const_cast<void*>(inputs[i]), ts.workspace);  // oneDNN only reads inputs
    if (a.reorder && !(i == 0 && first_input_ready)) a.reorder->execute(ts.stream, a.user, a.inner);
  }
  e.output.bind(output, ts.workspace);
  const size_t scratch_bytes = e.scratchpad.get_desc().get_size();
  if (scratch_bytes > 0) e.scratchpad.set_data_handle(ts.workspace.slot(Workspace::kScratchSlot, scratch_bytes));
  e.primitive->execute(ts.stream, e.args);
  if (e.output.reorder) e.output.reorder->execute(ts.stream, e.output.inner, e.output.user);
  ts.stream.wait();
}

// The cached primitive for `k`, created on first use (marked failed when oneDNN cannot create it).
// The reference stays valid until the next lookup of another key, which may clear the cache.
Entry& lookup(ThreadState& ts, const Key& k) {
  auto it = ts.entries.find(k);
  if (it == ts.entries.end()) {
    if (ts.entries.size() >= ThreadState::kMaxEntries) ts.entries.clear();
    std::unique_ptr<Entry> created;
    try {
      created = create_entry(k);
    } catch (const dnnl::error& err) {
      report_failure(k, err.what());
      created = std::make_unique<Entry>();
      created->failed = true;
    }
    it = ts.entries.emplace(k, std::move(created)).first;
  }
  return *it->second;
}

// Runs the primitive for `k`; false when oneDNN cannot (then never tried again for `k`).
bool run(const Key& k, const std::array<const void*, 3>& inputs, void* output,
         bool first_input_ready = false) {
  ThreadState& ts = thread_state();
  Entry& e = lookup(ts, k);
  if (e.failed) return false;
  try {
    execute(e, ts, inputs, output, first_input_ready);
    return true;
  } catch (const dnnl::error& err) {
    report_failure(k, err.what());
  } catch (const std::bad_alloc&) {
    report_failure(k, "out of memory for its workspace");
  }
  e.failed = true;
  return false;
}

std::atomic<int64_t> shared_reorders{0};

// The layout the primitive for `k` wants its first input in when it reorders it, else nothing.
std::optional<memory::desc> reordered_first_input(const Key& k) {
  ThreadState& ts = thread_state();
  const Entry& e = lookup(ts, k);
  if (e.failed || !e.inputs[0].reorder) return std::nullopt;
  return e.inputs[0].inner.get_desc();
}

}  // namespace

bool available() { return true; }

bool forward(ConstView x, ConstView w, ConstView bias, View y, const Conv2dParams& p) {
  const Key k = make_key(Direction::forward, x.shape(), w.shape(), y.shape(), p, bias.defined());
  return run(k, {x.data<float>(), w.data<float>(), bias.defined() ? bias.data<float>() : nullptr},
             y.data<float>());
}

bool backward_data(ConstView grad_y, ConstView w, View grad_x, const Conv2dParams& p) {
  const Key k = make_key(Direction::backward_data, grad_x.shape(), w.shape(), grad_y.shape(), p, false);
  return run(k, {grad_y.data<float>(), w.data<float>(), nullptr}, grad_x.data<float>());
}

bool backward_weight(ConstView grad_y, ConstView x, View grad_w, const Conv2dParams& p) {
  const Key k = make_key(Direction::backward_weight, x.shape(), grad_w.shape(), grad_y.shape(), p, false);
  return run(k, {grad_y.data<float>(), x.data<float>(), nullptr}, grad_w.data<float>());
}

// grad_y is the first input of both primitives and lives in the same workspace slot; when both
// want the same blocked layout, backward-weight reads the copy backward-data made (the slot is
// not resized in between: same size). That saves one of the six activation reorders per layer.
BackwardDone backward(ConstView grad_y, ConstView x, ConstView w, View grad_x, View grad_w,
                      const Conv2dParams& p) {
  const Key kd = make_key(Direction::backward_data, grad_x.shape(), w.shape(), grad_y.shape(), p, false);
  const Key kw = make_key(Direction::backward_weight, x.shape(), grad_w.shape(), grad_y.shape(), p, false);
  BackwardDone done;
  done.data = run(kd, {grad_y.data<float>(), w.data<float>(), nullptr}, grad_x.data<float>());
  const std::optional<memory::desc> dy_layout = done.data ? reordered_first_input(kd) : std::nullopt;
  const std::optional<memory::desc> wanted = reordered_first_input(kw);
  const bool dy_ready = dy_layout && wanted && *dy_layout == *wanted;
  done.weight = run(kw, {grad_y.data<float>(), x.data<float>(), nullptr}, grad_w.data<float>(), dy_ready);
  if (dy_ready && done.weight) shared_reorders.fetch_add(1, std::memory_order_relaxed);
  return done;
}

int64_t shared_grad_reorders() { return shared_reorders.load(std::memory_order_relaxed); }

}  // namespace cohort::cpu::conv_onednn
