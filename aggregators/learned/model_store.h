// Where the learned strategy's models come from: a directory of model files (scorer_model.h),
// one per name (NAME.json), each loaded on first use and reloaded when its file changes.
//
// Names are what requests give (LearnedScorer.model): 1-64 of [A-Za-z0-9._-], not starting with
// '.', so a name can never leave the directory. Get() is called on a gRPC thread (while a
// request is planned) and does no file I/O once a model is loaded: at most once per
// check_interval per model it hands a check to the background runner, which compares the file's
// (mtime, size, inode) with the loaded one's and, when it changed, loads the new file and swaps
// it in. A reload that fails keeps the model in use and is logged once per change of the file;
// so is a file that disappears. Requests hold the model they got (shared_ptr), so a swap never
// changes a request's model mid-way.
//
// The first Get() of a name reads the file in the caller (a few milliseconds for a small model);
// PreloadAll() loads every model of the directory ahead of that, e.g. at server start.
//
// Thread-safe. A store must outlive the checks it hands to its runner (the process-wide one is
// never destroyed).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "aggregators/learned/scorer_model.h"

namespace ptc::learned {

// The scorer directory: $PTC_SCORER_DIR when set, else the first that exists of the source
// tree's bench/data/scorers, /usr/local/share/ptc/scorers and /usr/share/ptc/scorers (the source
// tree's when none does).
std::string DefaultScorerDir();

// INVALID_ARGUMENT (naming the rule) unless `name` is a valid model name.
absl::Status ValidateModelName(const std::string& name);

class ModelStore {
 public:
  struct Options {
    std::string dir;
    absl::Duration check_interval = absl::Seconds(1);
    std::function<absl::Time()> now = [] { return absl::Now(); };
    // Runs a file check off the caller's thread. Default: a new detached thread per check (at
    // most one per model at a time, at most one per check_interval).
    std::function<void(std::function<void()>)> run_in_background;
    // Receives reload and failure messages. Default: a line on stderr.
    std::function<void(const std::string&)> log;
  };

  // What Get returns: the model to use (null when none could be loaded) and, when the model is
  // null or the latest version of the file failed to load, why.
  struct Lookup {
    std::shared_ptr<const ScorerModel> model;
    std::string error;
  };

  explicit ModelStore(Options options);

  // The process-wide store on DefaultScorerDir().
  static ModelStore& Default();

  const std::string& dir() const { return options_.dir; }

  // INVALID_ARGUMENT for an invalid name, NOT_FOUND when the directory has no such model (the
  // message lists the models it has). A file that exists but does not load is not an error here:
  // the Lookup has no model and says why.
  absl::StatusOr<Lookup> Get(const std::string& name);

  // Loads every NAME.json of the directory not loaded yet; returns the names loaded and logs
  // failures.
  std::vector<std::string> PreloadAll();

  // The names of the directory's model files, sorted.
  std::vector<std::string> Available() const;

 private:
  struct Entry;
  std::string PathOf(const std::string& name) const;
  std::shared_ptr<Entry> Load(const std::string& name);
  void Check(const std::shared_ptr<Entry>& entry);

  const Options options_;
  std::mutex mu_;  // guards everything below
  absl::flat_hash_map<std::string, std::shared_ptr<Entry>> entries_;
};

}  // namespace ptc::learned
