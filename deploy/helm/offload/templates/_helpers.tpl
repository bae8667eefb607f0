{{/* Chart name, overridable. */}}
{{- define "offload.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: release + chart name unless the release name already contains it. */}}
{{- define "offload.fullname" -}}
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

{{/* Names of the other objects (kept within the 63-character limit). */}}
{{- define "offload.headlessName" -}}
{{- printf "%s-headless" (include "offload.fullname" . | trunc 54 | trimSuffix "-") }}
{{- end }}

{{- define "offload.gatewayName" -}}
{{- printf "%s-gateway" (include "offload.fullname" . | trunc 55 | trimSuffix "-") }}
{{- end }}

{{- define "offload.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "offload.labels" -}}
helm.sh/chart: {{ include "offload.chart" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: {{ include "offload.name" . }}
{{- end }}

{{/* Selector of the server pods. */}}
{{- define "offload.selectorLabels" -}}
app.kubernetes.io/name: {{ include "offload.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: server
{{- end }}

{{/* Selector of the gateway pods. */}}
{{- define "offload.gatewaySelectorLabels" -}}
app.kubernetes.io/name: {{ include "offload.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: gateway
{{- end }}

{{/* The image reference of the server. */}}
{{- define "offload.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The directory passed to --model-repository. */}}
{{- define "offload.modelRepositoryPath" -}}
{{- if .Values.modelRepository.volume }}
{{- .Values.modelRepository.mountPath }}
{{- else }}
{{- .Values.modelRepository.path }}
{{- end }}
{{- end }}

{{/* Fully qualified DNS name of the headless Service (one A record per ready server pod). */}}
{{- define "offload.headlessFQDN" -}}
{{- printf "%s.%s.svc.%s" (include "offload.headlessName" .) .Release.Namespace .Values.gateway.clusterDomain }}
{{- end }}

{{/* Average queue time per request in microseconds over the window: the KEDA trigger's query. */}}
{{- define "offload.kedaQuery" -}}
{{- if .Values.autoscaling.keda.query }}
{{- .Values.autoscaling.keda.query }}
{{- else }}
{{- $pods := printf "%s-[a-z0-9]+-[a-z0-9]+" (include "offload.fullname" .) }}
{{- $sel := printf "namespace=%q,pod=~%q" .Release.Namespace $pods }}
{{- $w := .Values.autoscaling.keda.window }}
{{- /* SuperSONIC's expression for Triton (milliseconds of queueing per execution), on this release's pods. */}}
{{- printf "sum by (release) (rate(nv_inference_queue_duration_us{%s}[%s])) / sum by (release) ((rate(nv_inference_exec_count{%s}[%s]) * 1000) + 0.001) or vector(0)" $sel $w $sel $w }}
{{- end }}
{{- end }}
