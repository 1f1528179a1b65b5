"""A client that is not ours: discovers milkrun's services by gRPC server reflection
(grpcio-reflection, v1alpha), builds a Roads.Matrix request between the first two points from
the fetched descriptors, a Forecast.CheckStock request (one item: 100 units sellable 2 days, a
mean demand of 10 a day for 5 days) and, given two doors, a Routes.Optimize request (one
vehicle from the first point, a delivery at each door with 30 s of service), door to door and
road only, and prints one JSON object: the services found and the answers.

Usage: reflect_client.py HOST:PORT API_KEY LAT,LON LAT,LON [DOOR_LAT,LON DOOR_LAT,LON]
"""
import json
import sys

import grpc
from google.protobuf import descriptor_pool, json_format, message_factory
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)


def main():
    address, key = sys.argv[1], sys.argv[2]
    points = [tuple(float(x) for x in p.split(",")) for p in sys.argv[3:]]
    channel = grpc.insecure_channel(address)
    database = ProtoReflectionDescriptorDatabase(channel)
    services = sorted(database.get_services())
    pool = descriptor_pool.DescriptorPool(database)
    metadata = [("authorization", "Bearer " + key)]

    def call(service, name, request_dict):
        method = pool.FindServiceByName(service).FindMethodByName(name)
        request_class = message_factory.GetMessageClass(method.input_type)
        response_class = message_factory.GetMessageClass(method.output_type)
        request = json_format.ParseDict(request_dict, request_class())
        stub = channel.unary_unary(
            "/%s/%s" % (service, name),
            request_serializer=request_class.SerializeToString,
            response_deserializer=response_class.FromString,
        )
        return json_format.MessageToDict(stub(request, metadata=metadata, timeout=60))

    locations = [{"latitude": lat, "longitude": lon} for lat, lon in points]
    matrix = call(
        "milkrun.v1.Roads",
        "Matrix",
        {"origins": locations[:2], "destinations": locations[:2]},
    )
    plans = {}
    if len(locations) == 4:
        model = {
            "vehicles": [{
                "label": "trike",
                "startLocation": locations[0],
                "endLocation": locations[0],
                "costPerSecond": 1,
            }],
            "shipments": [
                {"label": "door-%d" % k, "delivery": {"location": at, "durationS": 30}}
                for k, at in enumerate(locations[2:])
            ],
        }
        for name, road_only in [("door_to_door", False), ("road_only", True)]:
            plans[name] = call("milkrun.v1.Routes", "Optimize", {
                "model": dict(model, roadOnly=road_only),
                "timeLimitS": 1,
                "seed": 1,
            })
    stock = call("milkrun.v1.Forecast", "CheckStock", {"items": [{
        "id": "milk-1l",
        "dailyMean": [10, 10, 10, 10, 10],
        "onHand": [{"quantity": 100, "sellableDays": 2}],
        "horizonDays": 1,
    }]})
    print(json.dumps({
        "services": services,
        "matrix": matrix,
        "stock": stock,
        "plans": plans,
    }))


if __name__ == "__main__":
    main()
