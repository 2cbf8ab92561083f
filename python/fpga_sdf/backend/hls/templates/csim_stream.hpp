// fpga-sdf C-simulation with bounded streams (g++ only, never for synthesis).
//
// Why: the hls_stream.h simulation model is unbounded and the processes of a DATAFLOW region
// run one after another, so a FIFO too shallow for the hardware never shows. Here every
// process runs in its own thread (SDF_PROCESS inside an SDF_DATAFLOW_REGION) and every
// stream holds at most its depth: the depth of its `#pragma HLS STREAM variable=... depth=N`
// (the project Makefile turns those pragmas into SDF_DEPTH lines), else Vitis's default 2.
// When every running process waits on a stream, the design would deadlock in hardware: the
// simulation stops with exit code 4 and names the streams the processes wait on.
#ifndef SDF_CSIM_STREAM_HPP
#define SDF_CSIM_STREAM_HPP

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace sdf {
namespace csim {

class stream_base;

// The name of the process running in this thread (SDF_PROCESS_NAME; the loop counts below).
inline std::string& process_name() {
    static thread_local std::string name;
    return name;
}

// One lock for all streams: it keeps the count of blocked processes exact.
struct monitor {
    std::mutex lock;
    int running = 0;  // process threads alive
    int blocked = 0;  // of them, waiting on a stream
    std::set<stream_base*> streams;
    static monitor& get() {
        static monitor m;
        return m;
    }
};

class stream_base {
public:
    std::string name = "(a stream without a STREAM pragma)";
    size_t depth = 2;  // Vitis's default FIFO depth
    int readers_waiting = 0, writers_waiting = 0;
    std::condition_variable changed;
    unsigned long generation = 0;
    virtual size_t words() const = 0;
    virtual ~stream_base() {}
};

// Every running process waits: print who waits on what and stop (exit code 4).
inline void check_deadlock(monitor& m) {
    if (m.blocked == 0 || m.blocked < m.running) return;
    std::fprintf(stderr, "csim: deadlock: all %d running processes wait on streams:\n", m.running);
    for (stream_base* s : m.streams) {
        if (s->readers_waiting)
            std::fprintf(stderr, "  read from empty stream %s (depth %zu)\n", s->name.c_str(), s->depth);
        if (s->writers_waiting)
            std::fprintf(stderr, "  write to full stream %s (depth %zu, %zu words)\n", s->name.c_str(),
                         s->depth, s->words());
    }
    std::fflush(stderr);
    std::_Exit(4);
}

// The processes of one DATAFLOW region: each spawn() starts a thread; the destructor (the
// end of the region's scope) waits for all of them. The thread opening the region counts as
// running until then, so a process that waits before its partners are started is no deadlock.
class region {
    std::vector<std::thread> threads;

public:
    region() {
        monitor& m = monitor::get();
        std::lock_guard<std::mutex> g(m.lock);
        m.running++;
    }
    template <typename F>
    void spawn(F body) {
        monitor& m = monitor::get();
        {
            std::lock_guard<std::mutex> g(m.lock);
            m.running++;
        }
        const std::string name = process_name();  // a nested region's units count under it
        threads.emplace_back([body, &m, name]() {
            process_name() = name;
            body();
            std::lock_guard<std::mutex> g(m.lock);
            m.running--;
            check_deadlock(m);
        });
    }
    ~region() {
        monitor& m = monitor::get();
        {
            std::lock_guard<std::mutex> g(m.lock);
            m.running--;
            check_deadlock(m);
        }
        for (auto& t : threads) t.join();
    }
};

}  // namespace csim
}  // namespace sdf

namespace hls {

template <typename T>
class stream : public sdf::csim::stream_base {
    std::deque<T> q;

    // Wait (lock held) until another process changes this stream.
    void wait(std::unique_lock<std::mutex>& g, int& waiting) {
        sdf::csim::monitor& m = sdf::csim::monitor::get();
        waiting++;
        m.blocked++;
        sdf::csim::check_deadlock(m);
        const unsigned long seen = generation;
        changed.wait(g, [&]() { return generation != seen; });
    }
    // Wake the waiters (lock held); they are counted as running again from here.
    void notify() {
        sdf::csim::monitor& m = sdf::csim::monitor::get();
        if (readers_waiting + writers_waiting) {
            m.blocked -= readers_waiting + writers_waiting;
            readers_waiting = writers_waiting = 0;
            generation++;
            changed.notify_all();
        }
    }

public:
    stream() {
        std::lock_guard<std::mutex> g(sdf::csim::monitor::get().lock);
        sdf::csim::monitor::get().streams.insert(this);
    }
    explicit stream(const char* n) : stream() { name = n; }
    stream(const stream&) = delete;
    ~stream() {
        std::lock_guard<std::mutex> g(sdf::csim::monitor::get().lock);
        sdf::csim::monitor::get().streams.erase(this);
        if (!q.empty()) {
            std::fprintf(stderr, "csim: stream %s ends with %zu unread words\n", name.c_str(), q.size());
            std::_Exit(3);
        }
    }
    size_t words() const override { return q.size(); }

    void write(const T& v) {
        std::unique_lock<std::mutex> g(sdf::csim::monitor::get().lock);
        while (q.size() >= depth) wait(g, writers_waiting);
        q.push_back(v);
        notify();
    }
    T read() {
        std::unique_lock<std::mutex> g(sdf::csim::monitor::get().lock);
        while (q.empty()) wait(g, readers_waiting);
        T v = q.front();
        q.pop_front();
        notify();
        return v;
    }
    void read(T& v) { v = read(); }
    void operator<<(const T& v) { write(v); }
    void operator>>(T& v) { v = read(); }
    bool empty() {
        std::lock_guard<std::mutex> g(sdf::csim::monitor::get().lock);
        return q.empty();
    }
    bool full() {
        std::lock_guard<std::mutex> g(sdf::csim::monitor::get().lock);
        return q.size() >= depth;
    }
    size_t size() {
        std::lock_guard<std::mutex> g(sdf::csim::monitor::get().lock);
        return q.size();
    }
};

}  // namespace hls

namespace sdf {
namespace csim {

// Name a stream (or every stream of an array, as name[i][j]) and bound it at `depth`.
template <typename T>
void configure(hls::stream<T>& s, const std::string& name, int depth) {
    s.name = name;
    s.depth = depth > 0 ? (size_t)depth : 1;
}
template <typename T, size_t N>
void configure(T (&a)[N], const std::string& name, int depth) {
    for (size_t i = 0; i < N; i++) configure(a[i], name + "[" + std::to_string(i) + "]", depth);
}

// Loop iterations as the C-simulation runs them, per process and loop label, to check the
// trip counts the emitter states (process.Timing) against the loops as compiled. A process
// names itself (SDF_PROCESS_NAME, the thread it runs in); a loop counts its iterations
// (SDF_COUNT_LOOP) in a counter found once per thread and code site.
struct loop_counts {
    std::mutex lock;
    std::map<std::string, long> counts;  // node addresses stay valid
    static loop_counts& get() {
        static loop_counts c;
        return c;
    }
};
inline long* loop_counter(const char* label) {
    loop_counts& c = loop_counts::get();
    std::lock_guard<std::mutex> g(c.lock);
    return &c.counts[process_name() + "/" + label];
}
// Prints `csim: loop <process>/<label> iterations N` for every counted loop.
inline void print_loop_counts() {
    loop_counts& c = loop_counts::get();
    std::lock_guard<std::mutex> g(c.lock);
    for (const auto& kv : c.counts) std::printf("csim: loop %s iterations %ld\n", kv.first.c_str(), kv.second);
}

}  // namespace csim
}  // namespace sdf

#define SDF_PROCESS_NAME(name) sdf::csim::process_name() = name;
#define SDF_COUNT_LOOP(label) \
    { static thread_local long* sdf_count_ = sdf::csim::loop_counter(label); ++*sdf_count_; }
#define SDF_PRINT_LOOP_COUNTS() sdf::csim::print_loop_counts();
#define SDF_UNIT_NAME(s) if (s) sdf::csim::process_name() += "." + std::to_string(s);
#define SDF_DATAFLOW_REGION sdf::csim::region sdf_region_;
#define SDF_PROCESS(...) sdf_region_.spawn([&]() { __VA_ARGS__; })
#define SDF_DEPTH(stream, depth) sdf::csim::configure(stream, #stream, depth);

#endif  // SDF_CSIM_STREAM_HPP
