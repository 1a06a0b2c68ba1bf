// CPU references of the distillation losses: one row at a time, in the order the formulas read.
// Accumulation is in double for both dtypes so the f32 path differs from f64 only by rounding of
// inputs and outputs.
#include "kernels/losses.h"

#include <cmath>

#include "kernels/common/softmax_math.h"

namespace cohort::cpu {

namespace {

// log softmax of row[0..C)/T into out[0..C), in double.
template <typename T>
void log_softmax_row(const T* row, int64_t C, double inv_t, double* out) {
  math::OnlineSoftmax<double> st;
  for (int64_t c = 0; c < C; ++c) st.add(static_cast<double>(row[c]) * inv_t);
  const double lse = st.log_sum_exp();
  for (int64_t c = 0; c < C; ++c) out[c] = static_cast<double>(row[c]) * inv_t - lse;
}

}  // namespace

void cross_entropy_forward(ConstView logits, ConstView labels, double eps,
                           int64_t ignore_index, View loss, View row_lse, View valid) {
  COHORT_DISPATCH_FLOATING(logits.dtype(), "cross_entropy", [&] {
    const int64_t N = logits.size(0), C = logits.size(1);
    const scalar_t* z = logits.data<scalar_t>();
    const int64_t* y = labels.data<int64_t>();
    scalar_t* lse_out = row_lse.data<scalar_t>();
    double total = 0.0;
    int64_t count = 0;
    for (int64_t n = 0; n < N; ++n) {
      const scalar_t* row = z + n * C;
      math::OnlineSoftmax<double> st;
      for (int64_t c = 0; c < C; ++c) st.add(static_cast<double>(row[c]));
      const double lse = st.log_sum_exp();
      lse_out[n] = static_cast<scalar_t>(lse);
      const int64_t label = y[n];
      if (label == ignore_index) continue;
      COHORT_CHECK(label >= 0 && label < C,
                   "cross_entropy: label {} at row {} is outside [0, {}) (and is not ignore_index {})",
                   label, n, C, ignore_index);
      double nll = lse - static_cast<double>(row[label]);
      if (eps > 0.0) {
        double mean_nll = 0.0;
        for (int64_t c = 0; c < C; ++c) mean_nll += lse - static_cast<double>(row[c]);
        nll = (1.0 - eps) * nll + eps * mean_nll / static_cast<double>(C);
      }
      total += nll;
      ++count;
    }
    // PyTorch's mean over no counted rows is 0/0 = NaN; so is ours, visibly.
    *loss.data<scalar_t>() = static_cast<scalar_t>(total / static_cast<double>(count));
    *valid.data<scalar_t>() = static_cast<scalar_t>(count);
  });
}

void cross_entropy_backward(ConstView logits, ConstView labels, ConstView row_lse,
                            ConstView valid, ConstView grad_loss, double eps,
                            int64_t ignore_index, View grad_logits) {
  COHORT_DISPATCH_FLOATING(logits.dtype(), "cross_entropy_backward", [&] {
    const int64_t N = logits.size(0), C = logits.size(1);
    const scalar_t* z = logits.data<scalar_t>();
    const int64_t* y = labels.data<int64_t>();
    const scalar_t* lse = row_lse.data<scalar_t>();
    scalar_t* gz = grad_logits.data<scalar_t>();
    const double scale = static_cast<double>(*grad_loss.data<scalar_t>()) /
                         static_cast<double>(*valid.data<scalar_t>());
    for (int64_t n = 0; n < N; ++n) {
      scalar_t* g = gz + n * C;
      if (y[n] == ignore_index) {
        for (int64_t c = 0; c < C; ++c) g[c] = scalar_t(0);
        continue;
      }
      // d/dz_c of (1−ε)(lse − z_y) + ε·mean_c(lse − z_c) = p_c − (1−ε)[c = y] − ε/C.
      for (int64_t c = 0; c < C; ++c) {
        double p = std::exp(static_cast<double>(z[n * C + c]) - static_cast<double>(lse[n]));
        double target = (c == y[n] ? 1.0 - eps : 0.0) + eps / static_cast<double>(C);
        g[c] = static_cast<scalar_t>(scale * (p - target));
      }
    }
  });
}

void kd_kl_forward(ConstView student, ConstView teacher, double temperature,
                   bool teacher_is_probs, View loss) {
  COHORT_DISPATCH_FLOATING(student.dtype(), "kd_kl", [&] {
    const int64_t N = student.size(0), C = student.size(1);
    const double inv_t = 1.0 / temperature;
    std::vector<double> log_ps(static_cast<size_t>(C)), log_pt(static_cast<size_t>(C));
    double total = 0.0;
    for (int64_t n = 0; n < N; ++n) {
      log_softmax_row(student.data<scalar_t>() + n * C, C, inv_t, log_ps.data());
      const scalar_t* t = teacher.data<scalar_t>() + n * C;
      if (teacher_is_probs)
        for (int64_t c = 0; c < C; ++c) log_pt[c] = std::log(static_cast<double>(t[c]));
      else
        log_softmax_row(t, C, inv_t, log_pt.data());
      for (int64_t c = 0; c < C; ++c) total += math::kl_term(log_pt[c], log_ps[c]);
    }
    *loss.data<scalar_t>() = static_cast<scalar_t>(temperature * temperature * total / static_cast<double>(N));
  });
}

void kd_kl_backward(ConstView student, ConstView teacher, double temperature,
                    bool teacher_is_probs, ConstView grad_loss, View grad_student,
                    View grad_teacher) {
  COHORT_DISPATCH_FLOATING(student.dtype(), "kd_kl_backward", [&] {
    const int64_t N = student.size(0), C = student.size(1);
    const double inv_t = 1.0 / temperature;
    const double g = static_cast<double>(*grad_loss.data<scalar_t>());
    const double scale_s = g * temperature / static_cast<double>(N);
    std::vector<double> log_ps(static_cast<size_t>(C)), log_pt(static_cast<size_t>(C));
    for (int64_t n = 0; n < N; ++n) {
      log_softmax_row(student.data<scalar_t>() + n * C, C, inv_t, log_ps.data());
      const scalar_t* t = teacher.data<scalar_t>() + n * C;
      if (teacher_is_probs)
        for (int64_t c = 0; c < C; ++c) log_pt[c] = std::log(static_cast<double>(t[c]));
      else
        log_softmax_row(t, C, inv_t, log_pt.data());
      scalar_t* gs = grad_student.data<scalar_t>() + n * C;
      for (int64_t c = 0; c < C; ++c)
        gs[c] = static_cast<scalar_t>(scale_s * (std::exp(log_ps[c]) - std::exp(log_pt[c])));
      if (!grad_teacher.defined()) continue;
      scalar_t* gt = grad_teacher.data<scalar_t>() + n * C;
      if (teacher_is_probs) {
        const double scale = g * temperature * temperature / static_cast<double>(N);
        for (int64_t c = 0; c < C; ++c) gt[c] = static_cast<scalar_t>(scale * (log_pt[c] - log_ps[c] + 1.0));
      } else {
        double kl_row = 0.0;
        for (int64_t c = 0; c < C; ++c) kl_row += math::kl_term(log_pt[c], log_ps[c]);
        for (int64_t c = 0; c < C; ++c)
          gt[c] = static_cast<scalar_t>(scale_s * std::exp(log_pt[c]) * (log_pt[c] - log_ps[c] - kl_row));
      }
    }
  });
}

namespace {

// p_k = softmax(z_k / T) of every student, rows in double: probs[k][n*C + c].
template <typename T>
std::vector<std::vector<double>> cohort_log_probs(const std::vector<ConstView>& logits, double inv_t) {
  const int64_t N = logits[0].size(0), C = logits[0].size(1);
  std::vector<std::vector<double>> out(logits.size(), std::vector<double>(static_cast<size_t>(N * C)));
  for (size_t k = 0; k < logits.size(); ++k)
    for (int64_t n = 0; n < N; ++n)
      log_softmax_row(logits[k].data<T>() + n * C, C, inv_t, out[k].data() + n * C);
  return out;
}

}  // namespace

void dml_mimicry_forward(const std::vector<ConstView>& logits, double temperature, DmlMode mode,
                         View losses) {
  COHORT_DISPATCH_FLOATING(logits[0].dtype(), "dml_mimicry", [&] {
    const size_t K = logits.size();
    const int64_t N = logits[0].size(0), C = logits[0].size(1);
    auto logp = cohort_log_probs<scalar_t>(logits, 1.0 / temperature);
    const double t2n = temperature * temperature / static_cast<double>(N);
    scalar_t* out = losses.data<scalar_t>();
    for (size_t k = 0; k < K; ++k) {
      double total = 0.0;
      if (mode == DmlMode::ensemble) {
        for (int64_t i = 0; i < N * C; ++i) {
          double q = 0.0;
          for (size_t l = 0; l < K; ++l)
            if (l != k) q += std::exp(logp[l][static_cast<size_t>(i)]);
          q /= static_cast<double>(K - 1);
          if (q > 0.0) total += q * (std::log(q) - logp[k][static_cast<size_t>(i)]);
        }
      } else {
        for (size_t l = 0; l < K; ++l)
          if (l != k)
            for (int64_t i = 0; i < N * C; ++i)
              total += math::kl_term(logp[l][static_cast<size_t>(i)], logp[k][static_cast<size_t>(i)]);
        if (mode == DmlMode::average) total /= static_cast<double>(K - 1);
      }
      out[k] = static_cast<scalar_t>(t2n * total);
    }
  });
}

void dml_mimicry_backward(const std::vector<ConstView>& logits, double temperature, DmlMode mode,
                          ConstView grad_losses, const std::vector<View>& grads) {
  COHORT_DISPATCH_FLOATING(logits[0].dtype(), "dml_mimicry_backward", [&] {
    const size_t K = logits.size();
    const int64_t N = logits[0].size(0), C = logits[0].size(1);
    auto logp = cohort_log_probs<scalar_t>(logits, 1.0 / temperature);
    const scalar_t* g = grad_losses.data<scalar_t>();
    const double peers = static_cast<double>(K - 1);
    for (size_t k = 0; k < K; ++k) {
      if (!grads[k].defined()) continue;
      // (T/N)(p_k − mean_{l≠k} p_l) for average and ensemble; (K−1) times that for sum.
      double scale = static_cast<double>(g[k]) * temperature / static_cast<double>(N);
      if (mode == DmlMode::sum) scale *= peers;
      scalar_t* out = grads[k].data<scalar_t>();
      for (int64_t i = 0; i < N * C; ++i) {
        double q = 0.0;
        for (size_t l = 0; l < K; ++l)
          if (l != k) q += std::exp(logp[l][static_cast<size_t>(i)]);
        out[i] = static_cast<scalar_t>(scale * (std::exp(logp[k][static_cast<size_t>(i)]) - q / peers));
      }
    }
  });
}

}  // namespace cohort::cpu
