// kadm-peer: what a platform team writing its own tool in Go would write with franz-go's kadm, the
// peer that scripts/bench measures topicform against beside the Python one (peer.py).
//
//	kadm-peer plan --bootstrap B DIR...   load the YAML files, list topics (Metadata), describe the
//	                                      declared topics' configs (kadm.DescribeTopicConfigs: franz-go
//	                                      sends them as it shards them), diff, print a summary
//
// The topic files are topicform's format (defaults + topics); only the fields the bench writes are read,
// and changes are counted as peer.py counts them. Exit code 0 on success, 1 on any error.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"gopkg.in/yaml.v3"
)

type topic struct {
	partitions int
	configs    map[string]string
}

type file struct {
	Defaults struct {
		Partitions int                    `yaml:"partitions"`
		Config     map[string]interface{} `yaml:"config"`
	} `yaml:"defaults"`
	Topics []struct {
		Name       string                 `yaml:"name"`
		Partitions int                    `yaml:"partitions"`
		Config     map[string]interface{} `yaml:"config"`
	} `yaml:"topics"`
}

func value(v interface{}) string {
	switch x := v.(type) {
	case bool:
		if x {
			return "true"
		}
		return "false"
	case []interface{}:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i] = value(p)
		}
		return strings.Join(parts, ",")
	default:
		return fmt.Sprint(x)
	}
}

func load(paths []string) (map[string]topic, error) {
	var files []string
	for _, p := range paths {
		err := filepath.Walk(p, func(path string, info os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			if !info.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(files)
	desired := map[string]topic{}
	for _, path := range files {
		text, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		var f file
		if err := yaml.Unmarshal(text, &f); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		for _, t := range f.Topics {
			if _, dup := desired[t.Name]; dup {
				return nil, fmt.Errorf("%s: topic %s declared twice", path, t.Name)
			}
			parts := t.Partitions
			if parts == 0 {
				parts = f.Defaults.Partitions
			}
			if parts < 1 {
				return nil, fmt.Errorf("%s: %s: partitions must be >= 1", path, t.Name)
			}
			conf := map[string]string{}
			for k, v := range f.Defaults.Config {
				conf[k] = value(v)
			}
			for k, v := range t.Config {
				conf[k] = value(v)
			}
			desired[t.Name] = topic{parts, conf}
		}
	}
	return desired, nil
}

func run() error {
	if len(os.Args) < 2 || os.Args[1] != "plan" {
		return fmt.Errorf("usage: kadm-peer plan --bootstrap B DIR...")
	}
	flags := flag.NewFlagSet("plan", flag.ContinueOnError)
	bootstrap := flags.String("bootstrap", "", "bootstrap servers")
	if err := flags.Parse(os.Args[2:]); err != nil {
		return err
	}
	desired, err := load(flags.Args())
	if err != nil {
		return err
	}
	client, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(*bootstrap, ",")...), kgo.ClientID("bench-kadm"))
	if err != nil {
		return err
	}
	defer client.Close()
	adm := kadm.NewClient(client)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()

	listed, err := adm.ListTopics(ctx)
	if err != nil {
		return err
	}
	var existing []string
	for name := range desired {
		if _, ok := listed[name]; ok {
			existing = append(existing, name)
		}
	}
	sort.Strings(existing)
	configs, err := adm.DescribeTopicConfigs(ctx, existing...)
	if err != nil {
		return err
	}
	changes := 0
	for _, rc := range configs {
		if rc.Err != nil {
			return fmt.Errorf("%s: %w", rc.Name, rc.Err)
		}
		want := desired[rc.Name]
		if len(listed[rc.Name].Partitions) != want.partitions {
			changes++
		}
		overrides := map[string]string{}
		for _, c := range rc.Configs {
			if c.Source == 1 { // DYNAMIC_TOPIC_CONFIG
				overrides[c.Key] = c.MaybeValue()
			}
		}
		for k, v := range want.configs {
			if got, ok := overrides[k]; !ok || got != v {
				changes++
			}
		}
		for k := range overrides {
			if _, ok := want.configs[k]; !ok {
				changes++
			}
		}
	}
	missing := 0
	for name := range desired {
		if _, ok := listed[name]; !ok {
			missing++
		}
	}
	fmt.Printf("Plan: %d to create, %d config/partition change(s).\n", missing, changes)
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "kadm-peer:", err)
		os.Exit(1)
	}
}
