#include "aggregators/learned/model_store.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace ptc::learned {
namespace {

constexpr size_t kMaxNameBytes = 64;
constexpr char kSuffix[] = ".json";

// What identifies a version of a file without reading it.
struct FileStamp {
  bool exists = false;
  int64_t mtime_ns = 0;
  int64_t size = 0;
  uint64_t inode = 0;
  bool operator==(const FileStamp&) const = default;
};

FileStamp Stat(const std::string& path) {
  struct stat st;
  FileStamp s;
  if (::stat(path.c_str(), &st) != 0) return s;
  s.exists = true;
  s.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  s.size = st.st_size;
  s.inode = st.st_ino;
  return s;
}

}  // namespace

struct ModelStore::Entry {
  std::string name;
  std::string path;
  std::mutex mu;  // guards everything below
  std::shared_ptr<const ScorerModel> model;
  std::string error;  // why the file's latest version is not in use
  FileStamp stamp;    // of the file version last tried
  absl::Time last_check;
  bool checking = false;
};

std::string DefaultScorerDir() {
  const char* env = std::getenv("PTC_SCORER_DIR");
  if (env != nullptr && *env != '\0') return env;
  const std::string source = (std::filesystem::path(PTC_SOURCE_DATA_DIR) / "scorers").string();
  for (const std::string& dir : {source, std::string("/usr/local/share/ptc/scorers"),
                                 std::string("/usr/share/ptc/scorers")}) {
    std::error_code ec;
    if (std::filesystem::is_directory(dir, ec)) return dir;
  }
  return source;
}

absl::Status ValidateModelName(const std::string& name) {
  const bool chars_ok = std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
  if (name.empty() || name.size() > kMaxNameBytes || !chars_ok || name[0] == '.') {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", name.substr(0, kMaxNameBytes), name.size() > kMaxNameBytes ? "..." : "",
                     "\" is not a model name (1-64 of A-Z a-z 0-9 . _ -, not starting with '.')"));
  }
  return absl::OkStatus();
}

ModelStore::ModelStore(Options options)
    : options_([&] {
        Options o = std::move(options);
        if (!o.run_in_background) {
          o.run_in_background = [](std::function<void()> f) { std::thread(std::move(f)).detach(); };
        }
        if (!o.log) {
          o.log = [](const std::string& line) { std::fprintf(stderr, "ptc: %s\n", line.c_str()); };
        }
        if (!o.now) o.now = [] { return absl::Now(); };
        return o;
      }()) {}

ModelStore& ModelStore::Default() {
  static ModelStore* store = [] {
    Options o;
    o.dir = DefaultScorerDir();
    return new ModelStore(std::move(o));
  }();
  return *store;
}

std::string ModelStore::PathOf(const std::string& name) const {
  return (std::filesystem::path(options_.dir) / absl::StrCat(name, kSuffix)).string();
}

std::vector<std::string> ModelStore::Available() const {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& f : std::filesystem::directory_iterator(options_.dir, ec)) {
    const std::string file = f.path().filename().string();
    if (!absl::EndsWith(file, kSuffix)) continue;
    const std::string name = file.substr(0, file.size() - std::string(kSuffix).size());
    if (ValidateModelName(name).ok()) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::shared_ptr<ModelStore::Entry> ModelStore::Load(const std::string& name) {
  auto entry = std::make_shared<Entry>();
  entry->name = name;
  entry->path = PathOf(name);
  const FileStamp stamp = Stat(entry->path);
  auto model = ScorerModel::Load(entry->path);
  std::lock_guard<std::mutex> lock(entry->mu);
  entry->stamp = stamp;
  entry->last_check = options_.now();
  if (model.ok()) {
    entry->model = *std::move(model);
  } else {
    entry->error = std::string(model.status().message());
    options_.log(entry->error);
  }
  return entry;
}

absl::StatusOr<ModelStore::Lookup> ModelStore::Get(const std::string& name) {
  if (absl::Status s = ValidateModelName(name); !s.ok()) return s;
  std::shared_ptr<Entry> entry;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(name);
    if (it != entries_.end()) entry = it->second;
  }
  if (entry == nullptr) {
    if (!Stat(PathOf(name)).exists) {
      const std::vector<std::string> names = Available();
      return absl::NotFoundError(absl::StrCat(
          "no model \"", name, "\" in ", options_.dir, " (",
          names.empty() ? "it has none" : absl::StrCat("it has ", absl::StrJoin(names, ", ")),
          ")"));
    }
    std::shared_ptr<Entry> loaded = Load(name);
    std::lock_guard<std::mutex> lock(mu_);
    entry = entries_.emplace(name, std::move(loaded)).first->second;  // first load wins
  }
  Lookup lookup;
  bool check = false;
  {
    std::lock_guard<std::mutex> lock(entry->mu);
    const absl::Time now = options_.now();
    if (!entry->checking && now - entry->last_check >= options_.check_interval) {
      entry->checking = true;
      entry->last_check = now;
      check = true;
    }
    lookup = Lookup{entry->model, entry->error};
  }
  if (check) options_.run_in_background([this, entry] { Check(entry); });
  return lookup;
}

void ModelStore::Check(const std::shared_ptr<Entry>& entry) {
  const FileStamp stamp = Stat(entry->path);
  std::string version;
  {
    std::lock_guard<std::mutex> lock(entry->mu);
    if (stamp == entry->stamp) {
      entry->checking = false;
      return;
    }
    entry->stamp = stamp;
    version = entry->model ? entry->model->version() : "";
  }
  const std::string keeping =
      version.empty() ? "no model to keep" : absl::StrCat("keeping version ", version);
  if (!stamp.exists) {
    options_.log(absl::StrCat("scorer model ", entry->path, " disappeared; ", keeping));
    std::lock_guard<std::mutex> lock(entry->mu);
    entry->checking = false;
    return;
  }
  auto model = ScorerModel::Load(entry->path);
  std::lock_guard<std::mutex> lock(entry->mu);
  entry->checking = false;
  if (!model.ok()) {
    entry->error = absl::StrCat(model.status().message(), "; ", keeping);
    options_.log(absl::StrCat("reload failed: ", entry->error));
    return;
  }
  options_.log(absl::StrCat("scorer model ", entry->name, ": ",
                            version.empty() ? "loaded" : absl::StrCat("version ", version, " ->"),
                            " version ", (*model)->version(), " (", entry->path, ")"));
  entry->model = *std::move(model);
  entry->error.clear();
}

std::vector<std::string> ModelStore::PreloadAll() {
  std::vector<std::string> loaded;
  for (const std::string& name : Available()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (entries_.contains(name)) continue;
    }
    std::shared_ptr<Entry> entry = Load(name);
    bool ok;
    {
      std::lock_guard<std::mutex> lock(entry->mu);
      ok = entry->model != nullptr;
    }
    std::lock_guard<std::mutex> lock(mu_);
    entries_.emplace(name, std::move(entry));
    if (ok) loaded.push_back(name);
  }
  return loaded;
}

}  // namespace ptc::learned
