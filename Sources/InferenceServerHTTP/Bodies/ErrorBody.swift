/// Every error answer: `{"error": "<what went wrong and what to do>"}`, as Triton writes it.
struct ErrorBody: Encodable {
  var error: String
}
