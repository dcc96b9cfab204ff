import Foundation
import StargraphCore
#if canImport(Glibc)
import Glibc
#endif

/// The standard Prometheus `process_*` metrics of this process, read from `/proc` at each
/// scrape: CPU time, resident and virtual memory, open and maximum file descriptors, threads
/// and start time. Off Linux (no `/proc`) it emits nothing.
struct ProcessMetrics {
    private var families: [(name: String, type: String, help: String, value: Double)] = []

    /// The figures now.
    static func sample() -> ProcessMetrics {
        var metrics = ProcessMetrics()
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        // proc(5): utime 14, stime 15, num_threads 20, starttime 22, vsize 23, rss 24 (pages).
        guard let stat = ProcStat(), ticks > 0, let userTicks = stat.number(14), let systemTicks = stat.number(15),
              let threads = stat.number(20), let startTicks = stat.number(22), let virtual = stat.number(23),
              let residentPages = stat.number(24)
        else { return metrics }
        metrics.add("process_cpu_seconds_total", "counter", "User and system CPU time spent, in seconds.", (userTicks + systemTicks) / ticks)
        metrics.add("process_threads", "gauge", "Threads of the process.", threads)
        if let bootTime = bootTime() {
            metrics.add("process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch, in seconds.", bootTime + startTicks / ticks)
        }
        metrics.add("process_virtual_memory_bytes", "gauge", "Virtual memory size, in bytes.", virtual)
        metrics.add("process_resident_memory_bytes", "gauge", "Resident memory size, in bytes.", residentPages * pageSize)
        if let open = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            // The listing itself holds one descriptor open.
            metrics.add("process_open_fds", "gauge", "Open file descriptors.", Double(max(0, open.count - 1)))
        }
        if let limit = maximumDescriptors() {
            metrics.add("process_max_fds", "gauge", "Maximum number of open file descriptors (the soft limit).", limit)
        }
        return metrics
    }

    /// Appends each metric with its `# HELP` and `# TYPE` lines in the text exposition format.
    func emit(into text: inout [UInt8]) {
        for family in families {
            text.append(contentsOf: "# HELP \(family.name) \(family.help)\n# TYPE \(family.name) \(family.type)\n\(family.name) \(family.value)\n".utf8)
        }
    }

    private mutating func add(_ name: String, _ type: String, _ help: String, _ value: Double) {
        families.append((name, type, help, value))
    }

    /// `btime` of `/proc/stat`: when the system booted, in seconds since the epoch.
    private static func bootTime() -> Double? {
        guard let stat = ProcFile.read("/proc/stat") else { return nil }
        return stat.split(separator: "\n").first { $0.hasPrefix("btime ") }.flatMap { Double($0.dropFirst(6)) }
    }

    /// The soft limit of `Max open files` in `/proc/self/limits`.
    private static func maximumDescriptors() -> Double? {
        guard let limits = ProcFile.read("/proc/self/limits"),
              let line = limits.split(separator: "\n").first(where: { $0.hasPrefix("Max open files") })
        else { return nil }
        return line.dropFirst("Max open files".count).split(separator: " ").first.flatMap { Double($0) }
    }
}
