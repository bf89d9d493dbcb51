package statehistory_test

import "github.com/rollout-tf/terraform-provider-rollout/internal/statehistory"

// folderSource is the snapshot folder source the benchmark reads, with
// its summary cache in cache.
func folderSource(dir, cache string) statehistory.Source {
	return statehistory.DirSource{Dir: dir, CacheDir: cache}
}
