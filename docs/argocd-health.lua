-- Argo CD health check for apigateway.vpclink.dev VpcLink and PrivateIntegration.
-- Both kinds carry the same three conditions (Ready, Reconciling, Stalled) and observedGeneration:
--   Stalled=True       -> Degraded     (FAILED or INACTIVE link, invalid spec, AccessDenied, AWS rejection)
--   Reconciling=True   -> Progressing  (PENDING, replacing a link, waiting for AWS or for dependants)
--   Ready=True         -> Healthy
--   anything else      -> Progressing  (no status yet, or a spec change the operator has not seen)
local hs = { status = "Progressing", message = "Waiting for the operator to report status" }

local function describe(condition)
  if condition.message ~= nil and condition.message ~= "" then
    return condition.reason .. ": " .. condition.message
  end
  return condition.reason or condition.type
end

if obj.metadata ~= nil and obj.metadata.deletionTimestamp ~= nil then
  hs.message = "Being deleted: the operator removes the AWS resources first"
  return hs
end
if obj.status == nil or obj.status.conditions == nil then
  return hs
end

local generation = obj.metadata and obj.metadata.generation
local observed = obj.status.observedGeneration
if generation ~= nil and observed ~= nil and observed ~= generation then
  hs.message = "Waiting for the operator to observe generation " .. tostring(generation)
  return hs
end

local conditions = {}
for _, condition in ipairs(obj.status.conditions) do
  conditions[condition.type] = condition
end

local stalled, reconciling, ready = conditions["Stalled"], conditions["Reconciling"], conditions["Ready"]
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = describe(stalled)
elseif reconciling ~= nil and reconciling.status == "True" then
  hs.status = "Progressing"
  hs.message = describe(reconciling)
elseif ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = describe(ready)
elseif ready ~= nil then
  hs.message = describe(ready)
end
return hs
