#include "samplers/http/http_client.h"

#include "absl/strings/str_cat.h"
#include "samplers/http/client_impl.h"
#include "samplers/http/url.h"

namespace ptc::http {

std::optional<std::string_view> ResponseHead::Header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return std::string_view(value);
  }
  return std::nullopt;
}

absl::StatusOr<std::shared_ptr<Client>> Client::Create(ClientOptions options,
                                                       const IoContexts& io) {
  if (options.endpoints.empty()) return absl::InvalidArgumentError("endpoints: none given");
  if (options.max_connections_per_endpoint == 0) {
    return absl::InvalidArgumentError("max_connections_per_endpoint must be at least 1");
  }
  std::vector<Url> urls;
  bool any_tls = false;
  for (size_t i = 0; i < options.endpoints.size(); ++i) {
    absl::StatusOr<Url> url = ParseUrl(options.endpoints[i]);
    if (!url.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("endpoints[", i, "] \"", options.endpoints[i],
                                                     "\": ", url.status().message()));
    }
    any_tls |= url->tls;
    urls.push_back(*std::move(url));
  }
  std::optional<boost::asio::ssl::context> tls;
  if (any_tls || !options.ca_file.empty()) {
    tls.emplace(boost::asio::ssl::context::tls_client);
    tls->set_options(boost::asio::ssl::context::default_workarounds |
                     boost::asio::ssl::context::no_sslv2 | boost::asio::ssl::context::no_sslv3 |
                     boost::asio::ssl::context::no_tlsv1 | boost::asio::ssl::context::no_tlsv1_1);
    boost::system::error_code ec;
    if (options.ca_file.empty()) {
      tls->set_default_verify_paths(ec);
      if (ec) {
        return absl::InvalidArgumentError(
            absl::StrCat("cannot load the system CA store: ", ec.message()));
      }
    } else {
      tls->load_verify_file(options.ca_file, ec);
      if (ec) {
        return absl::InvalidArgumentError(
            absl::StrCat("ca_file \"", options.ca_file, "\" cannot be read: ", ec.message()));
      }
    }
  }
  return std::shared_ptr<Client>(
      std::make_shared<ClientImpl>(std::move(options), std::move(urls), io, std::move(tls)));
}

}  // namespace ptc::http
