package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	"sigs.k8s.io/yaml"

	"github.com/evident-dev/evident/internal/audit"
)

// recommendedPolicy is the audit policy Evident needs: every write to the
// tracked kinds at RequestResponse (reports replay the objects), other
// writes at Metadata (or not at all), no reads, no RequestReceived stage.
func recommendedPolicy(others string) *auditv1.Policy {
	byGroup := map[string][]string{}
	var groups []string
	for _, k := range audit.Tracked() {
		g := k.Group
		if _, ok := byGroup[g]; !ok {
			groups = append(groups, g)
		}
		byGroup[g] = append(byGroup[g], k.Resource)
		if k.Resource == "pods" {
			byGroup[g] = append(byGroup[g], "pods/status") // phase and IP: finished pods leave reports
		}
	}
	var tracked []auditv1.GroupResources
	for _, g := range groups {
		tracked = append(tracked, auditv1.GroupResources{Group: g, Resources: byGroup[g]})
		if g == audit.GroupCalico {
			// Calico kinds served as CRDs (without the Calico API server).
			tracked = append(tracked, auditv1.GroupResources{Group: "crd.projectcalico.org", Resources: byGroup[g]})
		}
	}
	writes := []string{"create", "update", "patch", "delete"}
	p := &auditv1.Policy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "audit.k8s.io/v1", Kind: "Policy"},
		OmitStages: []auditv1.Stage{auditv1.StageRequestReceived},
		Rules: []auditv1.PolicyRule{
			{Level: auditv1.LevelRequestResponse, Verbs: writes, Resources: tracked},
			// High-volume writes with no evidentiary value.
			{Level: auditv1.LevelNone, Resources: []auditv1.GroupResources{
				{Group: "coordination.k8s.io", Resources: []string{"leases"}},
				{Group: "", Resources: []string{"events", "nodes/status"}},
				{Group: "events.k8s.io", Resources: []string{"events"}},
			}},
		},
	}
	if others == "metadata" {
		p.Rules = append(p.Rules, auditv1.PolicyRule{Level: auditv1.LevelMetadata, Verbs: append(writes, "deletecollection")})
	}
	p.Rules = append(p.Rules, auditv1.PolicyRule{Level: auditv1.LevelNone})
	return p
}

func newAuditPolicyCmd(e *env) *cobra.Command {
	var platform, others string
	cmd := &cobra.Command{
		Use:   "audit-policy [--platform kubeadm|kops|eks]",
		Short: "Print the recommended API-server audit policy and how to enable it",
		Long: `Print an audit policy that records what Evident needs: every create, update, patch
and delete of pods (and pods/status), namespaces, service accounts, endpoints,
networking.k8s.io NetworkPolicies and the Calico policy kinds (in both
projectcalico.org and crd.projectcalico.org) at RequestResponse level, other writes
at Metadata level (--others none to drop them), no reads, and no RequestReceived
stage. Then the API-server settings to apply it on the chosen platform.`,
		Example: `  evident audit-policy > /etc/kubernetes/audit/policy.yaml
  evident audit-policy --platform kops
  evident audit-policy --platform eks`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if others != "metadata" && others != "none" {
				return usagef("--others %q: want metadata or none", others)
			}
			raw, err := yaml.Marshal(recommendedPolicy(others))
			if err != nil {
				return err
			}
			policy := "# Audit policy recommended by Evident (evident audit-policy).\n" + string(raw)
			switch platform {
			case "":
				_, err = fmt.Fprint(e.Out, policy)
				return err
			case "kubeadm":
				fmt.Fprint(e.Out, kubeadmInstructions(policy))
			case "kops":
				fmt.Fprint(e.Out, kopsInstructions(policy))
			case "eks":
				_, err = e.Out.Write([]byte(eksInstructions))
				return err
			default:
				return usagef("--platform %q: want kubeadm, kops or eks", platform)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&platform, "platform", "", "also print how to enable it: kubeadm, kops or eks")
	cmd.Flags().StringVar(&others, "others", "metadata", "level for writes to other resources: metadata or none")
	return cmd
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n") + "\n"
}

func kubeadmInstructions(policy string) string {
	return `# 1. Save the policy on every control-plane node as /etc/kubernetes/audit/policy.yaml:
` + indent(policy, "#    ") + `
# 2. In /etc/kubernetes/manifests/kube-apiserver.yaml add to the kube-apiserver command:
    - --audit-policy-file=/etc/kubernetes/audit/policy.yaml
    - --audit-log-path=/var/log/kubernetes/audit/audit.log
    - --audit-log-maxage=30
    - --audit-log-maxbackup=10
    - --audit-log-maxsize=100
#    and mount both paths into the pod:
    volumeMounts:
    - {name: audit-policy, mountPath: /etc/kubernetes/audit, readOnly: true}
    - {name: audit-log, mountPath: /var/log/kubernetes/audit}
    volumes:
    - {name: audit-policy, hostPath: {path: /etc/kubernetes/audit, type: DirectoryOrCreate}}
    - {name: audit-log, hostPath: {path: /var/log/kubernetes/audit, type: DirectoryOrCreate}}
#    The kubelet restarts the API server when the manifest changes. For kubeadm-managed
#    clusters, put the same flags under apiServer.extraArgs / extraVolumes in the
#    ClusterConfiguration so upgrades keep them.
#
# 3. Collect the log: on the node run
#      evident ingest --follow --cluster NAME /var/log/kubernetes/audit/audit.log
#    or send events to "evident serve" with the webhook backend instead:
#      --audit-webhook-config-file=/etc/kubernetes/audit/webhook.yaml
#      --audit-webhook-batch-max-wait=5s
#    where webhook.yaml is a kubeconfig whose cluster server is
#    https://EVIDENT-HOST:PORT/ingest/v1/audit and whose user has token: <a token from
#    Evident's tokens file>.
`
}

func kopsInstructions(policy string) string {
	return `# Add to the kops cluster spec (kops edit cluster), then kops update cluster --yes
# and kops rolling-update cluster --yes:
spec:
  kubeAPIServer:
    auditLogPath: /var/log/kube-apiserver-audit.log
    auditLogMaxAge: 30
    auditLogMaxBackups: 10
    auditLogMaxSize: 100
    auditPolicyFile: /srv/kubernetes/kube-apiserver/audit-policy-config.yaml
  fileAssets:
  - name: audit-policy-config
    path: /srv/kubernetes/kube-apiserver/audit-policy-config.yaml
    roles: [ControlPlane]
    content: |
` + indent(policy, "      ") + `
# Collect the log on each control-plane node:
#   evident ingest --follow --cluster NAME /var/log/kube-apiserver-audit.log
`
}

const eksInstructions = `# EKS runs the API server with AWS's own audit policy, which cannot be changed.
# It records the writes Evident needs at RequestResponse level.
# 1. Enable the audit log type of the control plane:
aws eks update-cluster-config --name CLUSTER \
  --logging '{"clusterLogging":[{"types":["audit"],"enabled":true}]}'
#    (or: eksctl utils update-cluster-logging --cluster CLUSTER --enable-types audit --approve)
#    Events then go to the CloudWatch log group /aws/eks/CLUSTER/cluster, streams
#    kube-apiserver-audit-*, within minutes.
# 2. Import them (read-only credentials: CloudWatchLogsReadOnlyAccess):
aws logs filter-log-events --log-group-name /aws/eks/CLUSTER/cluster \
  --log-stream-name-prefix kube-apiserver-audit- --start-time $(date -d '1 day ago' +%s000) \
  --output json | jq -c '.events[].message | fromjson' | evident ingest --cluster CLUSTER -
#    Re-running over an overlapping time range stores nothing twice.
`
