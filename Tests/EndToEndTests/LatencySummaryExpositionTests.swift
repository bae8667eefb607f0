import Foundation
import InferenceRuntime
import InferenceServer
import KServeProtocol
import Testing

/// The latency summaries as the metrics endpoint renders them (Prometheus text format 0.0.4), in process.
@Suite(.timeLimit(.minutes(1))) struct LatencySummaryExpositionTests {
  @Test func expositionTextIsExact() {
    let start = ContinuousClock.now
    let registry = LatencySummaryRegistry(
      configuration: LatencySummaryConfiguration(quantiles: [.init(0.5, error: 0.05), .init(0.99, error: 0.001)]),
      origin: start)
    let series = registry.acquire(model: "m", version: "1")
    let timings = ComputeTimings(inputNanos: 2_000, inferNanos: 3_999, outputNanos: 0)
    series.observe(totalNanos: 5_000_999, queueNanos: 1_000, timings: timings, at: start + .seconds(1))
    let text = LatencySummaryExposition.text(registry, at: start + .seconds(2))
    let labels = "model=\"m\",version=\"1\""
    var expected = ""
    for (name, help, value) in [
      ("nv_inference_request_summary_us", "Summary of inference request duration in microseconds", 5_000),
      ("nv_inference_queue_summary_us", "Summary of inference queuing duration in microseconds", 1),
      ("nv_inference_compute_input_summary_us", "Summary of compute input duration in microseconds", 2),
      ("nv_inference_compute_infer_summary_us", "Summary of compute inference duration in microseconds", 3),
      ("nv_inference_compute_output_summary_us", "Summary of compute output duration in microseconds", 0),
    ] {
      expected += """
        # HELP \(name) \(help)
        # TYPE \(name) summary
        \(name)_count{\(labels)} 1
        \(name)_sum{\(labels)} \(value)
        \(name){\(labels),quantile="0.5"} \(value)
        \(name){\(labels),quantile="0.99"} \(value)

        """
    }
    #expect(text == expected)
  }

  @Test func expositionParsesBackWithEscapedLabels() throws {
    let start = ContinuousClock.now
    let registry = LatencySummaryRegistry(configuration: LatencySummaryConfiguration(), origin: start)
    let awkward = "a\"b\\c\nd"
    let none = ComputeTimings(inputNanos: 0, inferNanos: 0, outputNanos: 0)
    for (model, version) in [(awkward, "1"), ("m", "10"), ("m", "2")] {
      let series = registry.acquire(model: model, version: version)
      for micros in [10, 20, 30] as [UInt64] {
        series.observe(totalNanos: micros * 1_000, queueNanos: 0, timings: none, at: start)
      }
    }
    let text = LatencySummaryExposition.text(registry, at: start + .seconds(1))
    var types: [String: String] = [:]
    var samples: [Sample] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
      if line.hasPrefix("# TYPE ") {
        let parts = line.split(separator: " ")
        #expect(types[String(parts[2])] == nil, "one TYPE line per family")
        types[String(parts[2])] = String(parts[3])
      } else if !line.hasPrefix("# HELP ") {
        samples.append(try #require(Sample(parsing: String(line)), "unparsable: \(line)"))
      }
    }
    #expect(text.hasSuffix("\n"))
    #expect(types.count == 5)
    #expect(types.values.allSatisfy { $0 == "summary" })
    let request = samples.filter { $0.name.hasPrefix("nv_inference_request_summary_us") }
    // Per series: _count, _sum, five quantiles; series ordered by model, then version number.
    #expect(request.count == 3 * 7)
    #expect(request.map { $0.labels["model"]! }.firstIndex(of: awkward) == 0)
    #expect(request.filter { $0.name.hasSuffix("_count") }.map { $0.labels["version"]! } == ["1", "2", "10"])
    let awkwardCount = try #require(request.first { $0.name.hasSuffix("_count") && $0.labels["model"] == awkward })
    #expect(awkwardCount.value == 3)
    #expect(awkwardCount.labels == ["model": awkward, "version": "1"])
    let quantiles = request.filter { $0.name == "nv_inference_request_summary_us" && $0.labels["model"] == awkward }
    #expect(quantiles.map { $0.labels["quantile"]! } == ["0.5", "0.9", "0.95", "0.99", "0.999"])
    #expect(quantiles.map(\.value) == [20, 30, 30, 30, 30])
    #expect(text.contains("model=\"a\\\"b\\\\c\\nd\""), "backslash, quote and newline escaped")
  }
}

/// One sample line of the Prometheus text format: `name{label="value",…} value`, label values unescaped.
private struct Sample {
  var name: String
  var labels: [String: String]
  var value: Double

  init?(parsing line: String) {
    var rest = Substring(line)
    guard let end = rest.firstIndex(where: { $0 == "{" || $0 == " " }) else { return nil }
    let name = String(rest[..<end])
    var labels: [String: String] = [:]
    rest = rest[end...]
    if rest.first == "{" {
      rest = rest.dropFirst()
      while rest.first != "}" {
        guard let equals = rest.firstIndex(of: "="), rest[rest.index(after: equals)...].first == "\"" else {
          return nil
        }
        let key = String(rest[..<equals])
        rest = rest[rest.index(equals, offsetBy: 2)...]
        var text = ""
        while let character = rest.first, character != "\"" {
          rest = rest.dropFirst()
          guard character == "\\" else {
            text.append(character)
            continue
          }
          switch rest.first {
          case "\\": text.append("\\")
          case "\"": text.append("\"")
          case "n": text.append("\n")
          default: return nil
          }
          rest = rest.dropFirst()
        }
        guard rest.first == "\"" else { return nil }
        rest = rest.dropFirst()
        labels[key] = text
        if rest.first == "," { rest = rest.dropFirst() }
      }
      rest = rest.dropFirst()
    }
    let number = rest.dropFirst()
    guard rest.first == " ", let value = Double(number) ?? (number == "NaN" ? Double.nan : nil) else { return nil }
    self.name = name
    self.labels = labels
    self.value = value
  }
}
