{{/* Chart name, truncated to the 63 characters a label value allows. */}}
{{- define "vpclink-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-qualified name; the release name alone when it already contains the chart name. */}}
{{- define "vpclink-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "vpclink-operator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "vpclink-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: vpclink-operator
{{- end }}

{{- define "vpclink-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vpclink-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "vpclink-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "vpclink-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "vpclink-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
The rules the operator needs on its own resources, shared by the ClusterRole (cluster-wide
mode) and the per-namespace Roles (namespaced mode). Only what kopf and the handlers use:
list/watch to follow the objects (and the PrivateIntegration index), patch for finalizers,
kopf's progress annotations and status; events create for kopf.event() and kopf's warnings.
*/}}
{{- define "vpclink-operator.namespacedRules" -}}
- apiGroups: [apigateway.vpclink.dev]
  resources: [vpclinks, privateintegrations]
  verbs: [get, list, watch, patch]
- apiGroups: [apigateway.vpclink.dev]
  resources: [vpclinks/status, privateintegrations/status]
  verbs: [patch]
- apiGroups: [""]
  resources: [events]
  verbs: [create]
{{- if gt (int .Values.replicaCount) 1 }}
{{- if not .Values.watchNamespaces }}
# kopf peering (several replicas, one active): the cluster-wide peering object.
- apiGroups: [kopf.dev]
  resources: [clusterkopfpeerings]
  verbs: [list, watch, patch]
{{- else }}
# kopf peering (several replicas, one active): the peering object in each watched namespace.
- apiGroups: [kopf.dev]
  resources: [kopfpeerings]
  verbs: [list, watch, patch]
{{- end }}
{{- end }}
{{- end }}

{{/* kopf peering is on when more than one replica runs: only the highest-priority one acts. */}}
{{- define "vpclink-operator.peering" -}}
{{- if gt (int .Values.replicaCount) 1 }}{{ include "vpclink-operator.fullname" . }}{{ end }}
{{- end }}
