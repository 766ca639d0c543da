// GradientBuckets over a real Gloo process group: two ranks (a thread each,
// a TCPStore on loopback) end a backward with exactly the mean of their own
// gradients, across several buckets, with a parameter only one rank uses,
// and with gradients accumulated over micro-batches before the last one.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <thread>

#include "engine/train/distributed/data_parallel.h"
#include "engine/train/distributed/gradient_buckets.h"
#include "engine/train/distributed/step_shard.h"

namespace {

using ssa::GradientBuckets;

// A free port: bind 0 and read what the kernel gave.
int free_port();

struct Params {
  std::vector<std::pair<std::string, at::Tensor>> named;
  at::Tensor w(const std::string& name) const {
    for (const auto& [n, t] : named)
      if (n == name) return t;
    throw std::logic_error(name);
  }
};

// The same weights on every rank, sizes that need several 1 KB buckets.
// (No RNG: the rank threads would share LibTorch's global generator.)
Params make_params() {
  Params p;
  double phase = 0;
  for (const auto& [name, shape] : std::vector<std::pair<std::string, std::vector<int64_t>>>{
           {"model.embed_tokens.weight", {16, 8}},
           {"model.layers.0.mlp.up_proj.weight", {32, 8}},
           {"model.layers.1.mlp.up_proj.weight", {32, 8}},
           {"model.layers.10.mlp.up_proj.weight", {32, 8}},
           {"model.unused_on_rank_1.weight", {8}},
           {"lm_head.weight", {16, 8}}})
    p.named.emplace_back(name, at::sin(at::arange(c10::multiply_integers(shape)) * 0.37 + ++phase)
                                   .reshape(shape)
                                   .requires_grad_(true));
  return p;
}

// One micro-batch's loss: every parameter takes part, except the "unused"
// one on rank 1.
at::Tensor loss_of(const Params& p, int rank, int micro) {
  const at::Tensor x = at::cos(at::arange(32) * 0.11 * (1 + rank) + micro).reshape({4, 8});
  at::Tensor h = x.matmul(p.w("model.embed_tokens.weight").t()).tanh();  // [4, 16]
  at::Tensor y = h.matmul(p.w("lm_head.weight"));                        // [4, 8]
  for (const char* layer :
       {"model.layers.0.mlp.up_proj.weight", "model.layers.1.mlp.up_proj.weight",
        "model.layers.10.mlp.up_proj.weight"})
    y = y + y.matmul(p.w(layer).t()).sin().matmul(p.w(layer)) * 0.1;
  if (rank == 0) y = y * p.w("model.unused_on_rank_1.weight");
  return y.pow(2).mean();
}

// The gradients one rank computes alone over `micros` micro-batches.
std::map<std::string, at::Tensor> local_gradients(int rank, int micros) {
  Params p = make_params();
  for (int m = 0; m < micros; ++m) loss_of(p, rank, m).backward();
  std::map<std::string, at::Tensor> g;
  for (const auto& [n, t] : p.named)
    g[n] = t.grad().defined() ? t.grad().clone() : at::zeros_like(t);
  return g;
}

TEST(GradientBuckets, BackwardOrderReadsLayerNumbersAndPutsTheHeadFirst) {
  const std::vector<std::string> order = GradientBuckets::backward_order(
      {"model.embed_tokens.weight", "model.layers.10.mlp.up_proj.weight", "model.norm.weight",
       "model.layers.2.mlp.up_proj.weight", "lm_head.weight"});
  EXPECT_EQ(order, (std::vector<std::string>{
                       "lm_head.weight", "model.norm.weight", "model.layers.10.mlp.up_proj.weight",
                       "model.layers.2.mlp.up_proj.weight", "model.embed_tokens.weight"}));
}

TEST(GradientBuckets, TwoGlooRanksAverageExactly) {
  if (!ssa::have_gloo()) GTEST_SKIP() << "this build has no Gloo";
  for (const int micros : {1, 3}) {
    const int port = free_port();
    std::map<std::string, at::Tensor> got[2];
    std::vector<std::vector<std::string>> layout;
    std::string errors[2];
    std::vector<std::thread> ranks;
    for (int r = 0; r < 2; ++r) {
      ranks.emplace_back([&, r] {
        try {
          ssa::DistSettings s;
          s.rank = r, s.world_size = 2, s.master_port = port;
          s.timeout = std::chrono::seconds(30);
          ssa::DataParallel dp(s, "cpu");
          Params p = make_params();
          dp.attach(p.named, /*bucket_bytes=*/1024, /*first_bucket_bytes=*/512);
          for (int m = 0; m < micros; ++m) {
            dp.gradients().sync_next_backward(m == micros - 1);
            loss_of(p, r, m).backward();
          }
          dp.gradients().finish();
          for (const auto& [n, t] : p.named) got[r][n] = t.grad().clone();
          if (r == 0) layout = dp.gradients().layout();
          dp.finish();
        } catch (const std::exception& e) {
          errors[r] = e.what();
        }
      });
    }
    for (auto& t : ranks) t.join();
    ASSERT_EQ(errors[0], "");
    ASSERT_EQ(errors[1], "");
    const auto g0 = local_gradients(0, micros), g1 = local_gradients(1, micros);
    for (const auto& [name, g] : g0) {
      const at::Tensor mean = (g + g1.at(name)) / 2;
      EXPECT_TRUE(at::equal(got[0].at(name), mean)) << name << " micros " << micros;
      EXPECT_TRUE(at::equal(got[1].at(name), mean)) << name << " micros " << micros;
    }
    // A 512 B first bucket, then 1 KB ones, in backward order: the head
    // (512 B) alone, then the rest from the last layer back to the embedding.
    EXPECT_EQ(layout, (std::vector<std::vector<std::string>>{
                          {"lm_head.weight"},
                          {"model.unused_on_rank_1.weight", "model.layers.10.mlp.up_proj.weight"},
                          {"model.layers.1.mlp.up_proj.weight"},
                          {"model.layers.0.mlp.up_proj.weight"},
                          {"model.embed_tokens.weight"}}));
  }
}

TEST(StepShard, RanksTakeDisjointContiguousSharesInMicroBatchesOfAtMostTheBatch) {
  const ssa::StepShard r0 = ssa::shard_step(4, 3, 0, 2), r1 = ssa::shard_step(4, 3, 1, 2);
  EXPECT_EQ(r0.micro_batches, (std::vector<std::vector<int64_t>>{{0, 1, 2, 3}, {4, 5}}));
  EXPECT_EQ(r1.micro_batches, (std::vector<std::vector<int64_t>>{{6, 7, 8, 9}, {10, 11}}));
  // Grad accumulation divisible by the ranks: exactly one process's micro-batches.
  EXPECT_EQ(ssa::shard_step(2, 2, 1, 2).micro_batches, (std::vector<std::vector<int64_t>>{{2, 3}}));
  EXPECT_EQ(ssa::shard_step(2, 2, 0, 1).micro_batches,
            (std::vector<std::vector<int64_t>>{{0, 1}, {2, 3}}));
  EXPECT_THROW(ssa::shard_step(2, 2, 0, 3), std::invalid_argument);
}

}  // namespace

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t n = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
  ::close(fd);
  return ntohs(a.sin_port);
}
}  // namespace
