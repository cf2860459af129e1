-- Status reads: GET /v1/projects/{code} over a random sample of projects.
-- Usage: wrk -s status.lua URL -- FILE THREADS TOKEN
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "paths.lua")
local next_index = 1

function init(args)
  paths = load_paths(args[1], tonumber(id), tonumber(args[2]))
  wrk.headers["Authorization"] = "Bearer " .. args[3]
end

function request()
  local path = paths[next_index]
  next_index = next_index % #paths + 1
  return wrk.format("GET", path)
end
