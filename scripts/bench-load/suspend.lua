-- Item actions: a reviewer's supplement request (补正) on accepted items, each item once.
-- Usage: wrk -s suspend.lua URL -- FILE THREADS TOKEN
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "paths.lua")
local next_index = 1
local body = '{"action":"suspend","suspension":{"reason":"supplement","missingMaterials":["补正材料清单"]}}'

function init(args)
  paths = load_paths(args[1], tonumber(id), tonumber(args[2]))
  wrk.headers["Authorization"] = "Bearer " .. args[3]
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local path = paths[next_index]
  next_index = next_index % #paths + 1
  return wrk.format("POST", path, nil, body)
end
